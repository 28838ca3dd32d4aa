"""A real SMTP server for mail tests (aiosmtpd on 127.0.0.1), and the small data factories mail tests use.

The sink can misbehave the way real servers do: refuse with a reply code after N accepted messages
(``refuse_after`` / ``refuse_reply``, e.g. 421 for an outage), reject chosen recipients permanently (550),
hold each message for a while (``delay_s``), or call back when a client starts a message (to kill it).
Port 0 is not supported by aiosmtpd's Controller (it connects to the port to check the server is up), so
a free port is picked first.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from paperfeed.config import Settings
from paperfeed.domain.feed import FeedEntry
from paperfeed.domain.paper import Paper
from paperfeed.store import Database
from paperfeed.store.feed import upsert_feed_entries
from paperfeed.store.models import SubscriptionRow
from paperfeed.store.papers import upsert_papers


@dataclass
class SmtpSink:
    messages: list[EmailMessage] = field(default_factory=list)
    refuse_after: int | None = None
    refuse_reply: str = "421 4.3.2 Service shutting down"
    reject_recipients: set[str] = field(default_factory=set)
    delay_s: float = 0.0
    # Called with the number of messages accepted so far when a client starts the next one (MAIL FROM):
    # at that moment every accepted message has been acknowledged, so a test can kill the sender there.
    on_mail_from: Callable[[int], None] | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: ANN001, N802
        if self.on_mail_from is not None:
            self.on_mail_from(len(self.messages))
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001, N802
        if address in self.reject_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.refuse_after is not None and len(self.messages) >= self.refuse_after:
            return self.refuse_reply
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def recipients(self) -> list[str]:
        return [str(m["To"]) for m in self.messages]


@dataclass
class SmtpServer:
    host: str
    port: int
    sink: SmtpSink
    controller: Controller

    def settings(self, home: Path, **overrides: object) -> Settings:
        """Settings pointing at this server, with a fixed secret (nothing read from the environment)."""
        values: dict[str, object] = {
            "home": home,
            "secret_key": "test-secret-not-for-production",
            "base_url": "http://testserver",
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_security": "none",
            "mail_from": "paperfeed <digest@paperfeed.test>",
        }
        return Settings(_env_file=None, **{**values, **overrides})  # type: ignore[call-arg]

    def stop(self) -> None:
        self.controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp(sink: SmtpSink | None = None, port: int | None = None) -> SmtpServer:
    sink = sink or SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return SmtpServer(controller.hostname, controller.port, sink, controller)


def running_smtp() -> Iterator[SmtpServer]:
    """The body of each mail test module's ``smtp_server`` fixture: a fresh server, stopped afterwards."""
    server = start_smtp()
    try:
        yield server
    finally:
        server.controller.stop(no_assert=True)


@dataclass
class FakeClock:
    """A clock a test moves by hand, for the ``clock=`` parameters of the outbox and the digest."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


# --- data the mail tests need -------------------------------------------------------------------------


def add_papers(db: Database, day: date, count: int, *, prefix: str = "2606", upvotes: int = 0) -> list[str]:
    """``count`` papers featured on ``day``, with ids ``{prefix}.{n:05d}``; returns the ids."""
    papers = [
        Paper(
            id=f"{prefix}.{n:05d}",
            title=f"Paper {prefix}.{n} about <b>learning</b> & noise",
            abstract=f"We study problem {n}. " * 30,
            authors=tuple(f"Author {i}" for i in range(1 + n % 4)),
            categories=("cs.LG",),
            published=day,
        )
        for n in range(1, count + 1)
    ]
    entries = [
        FeedEntry(paper_id=p.id, featured_on=day, external_upvotes=upvotes + n) for n, p in enumerate(papers)
    ]
    with db.session() as session:
        upsert_papers(session, papers)
        upsert_feed_entries(session, entries)
    return [p.id for p in papers]


def add_subscriber(
    db: Database,
    email_address: str,
    *,
    status: str = "active",
    frequency: str = "daily",
    user_id: int | None = None,
) -> int:
    now = datetime.now(UTC)
    with db.session() as session:
        row = SubscriptionRow(
            email=email_address,
            status=status,
            frequency=frequency,
            user_id=user_id,
            created_at=now,
            confirmed_at=now if status == "active" else None,
        )
        session.add(row)
        session.flush()
        return row.id


def add_readers(db: Database, count: int) -> list[str]:
    """``count`` confirmed daily subscribers reader00@…, reader01@…; their addresses in order."""
    addresses = [f"reader{n:02d}@example.org" for n in range(count)]
    for address in addresses:
        add_subscriber(db, address)
    return addresses

"""The mail transport and the scheduler against a real SMTP server: login, no server, background runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from paperfeed.mail.outbox import outbox_counts, send_pending
from paperfeed.mail.smtp import Outage, SmtpTransport
from paperfeed.services.digest import build_digests, start_digest_scheduler
from paperfeed.store import Database
from tests.support.smtp import SmtpServer, SmtpSink, add_papers, add_subscriber, free_port


def authenticator(server, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN201
    def text(value: str | bytes) -> str:
        return value.decode() if isinstance(value, bytes) else value

    ok = isinstance(auth_data, LoginPassword) and (text(auth_data.login), text(auth_data.password)) == (
        "digest",
        "s3cret",
    )
    return AuthResult(success=ok)


@pytest.fixture
def auth_smtp() -> Iterator[SmtpServer]:
    sink = SmtpSink()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield SmtpServer(controller.hostname, controller.port, sink, controller)
    finally:
        controller.stop()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # loopback only
def test_login_with_configured_credentials(
    sqlite_db: Database, auth_smtp: SmtpServer, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    add_papers(sqlite_db, now.date(), 2)
    add_subscriber(sqlite_db, "a@example.org")
    good = auth_smtp.settings(tmp_path, smtp_user="digest", smtp_password="s3cret")
    build_digests(sqlite_db, good, frequency="daily", now=now)

    anonymous = send_pending(sqlite_db, auth_smtp.settings(tmp_path), now=now)  # the server requires AUTH
    # Without login the server refuses the sender (530): a configuration problem, not the message's fault.
    assert anonymous.outage and "530" in anonymous.outage and (anonymous.sent, anonymous.failed) == (0, 0)
    assert outbox_counts(sqlite_db) == {"pending": 1}
    assert send_pending(sqlite_db, good, now=now + timedelta(minutes=3)).sent == 1
    assert auth_smtp.sink.recipients() == ["a@example.org"]


def test_no_server_is_an_outage_not_a_failure(sqlite_db: Database, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    add_papers(sqlite_db, now.date(), 2)
    add_subscriber(sqlite_db, "a@example.org")
    server = SmtpServer("127.0.0.1", free_port(), SmtpSink(), None)  # type: ignore[arg-type]  # nothing listens
    settings = server.settings(tmp_path)
    build_digests(sqlite_db, settings, frequency="daily", now=now)
    report = send_pending(sqlite_db, settings, now=now)
    assert report.outage and "cannot reach SMTP server" in report.outage
    assert outbox_counts(sqlite_db) == {"pending": 1}
    with pytest.raises(ValueError, match="smtp_security: 'tls'"):
        SmtpTransport(server.settings(tmp_path, smtp_security="tls"))
    with pytest.raises(Outage):
        SmtpTransport(settings).connect()


def test_scheduler_sends_due_digests_in_the_background_and_stops(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    add_papers(db, datetime.now(UTC).date(), 3)
    add_subscriber(db, "daily@example.org")
    add_subscriber(db, "weekly@example.org", frequency="weekly")
    off = start_digest_scheduler(db, smtp_server.settings(tmp_path), interval_s=0.05)
    off()  # disabled unless PAPERFEED_DIGEST_SCHEDULER is set: returns a no-op at once

    settings = smtp_server.settings(tmp_path, digest_scheduler=True, digest_hour_utc=0)
    stop = start_digest_scheduler(db, settings, interval_s=0.05)
    try:
        deadline = time.monotonic() + 20
        while len(smtp_server.sink.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # several more ticks: they must not send anything again
    finally:
        stop()
    assert sorted(smtp_server.sink.recipients()) == ["daily@example.org", "weekly@example.org"]
    assert outbox_counts(db) == {"sent": 2}

"""The digest as a subscriber lives it: on time, never twice, only after confirming, through outages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperfeed.mail.outbox import MAX_ATTEMPTS, outbox_counts, send_pending
from paperfeed.services.digest import build_digests, period_key, run_digest
from paperfeed.services.subscriptions import unsubscribe_email
from paperfeed.store import Database
from paperfeed.store.models import DigestPaperRow, OutboxRow
from tests.support.smtp import SmtpServer, add_papers, add_subscriber, running_smtp

DAY = date(2026, 6, 30)
MORNING = datetime(2026, 6, 30, 7, 0, tzinfo=UTC)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    yield from running_smtp()


def paper_links(message) -> list[str]:  # noqa: ANN001
    text = message.get_body(("plain",)).get_content()
    return [line.rsplit("/", 1)[1] for line in text.splitlines() if line.startswith("http://testserver/papers/")]


def test_digest_goes_to_confirmed_subscribers_only(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 12)
    add_subscriber(db, "reader@example.org")
    add_subscriber(db, "pending@example.org", status="pending")
    add_subscriber(db, "gone@example.org", status="unsubscribed")
    add_subscriber(db, "weekly@example.org", frequency="weekly")

    report = run_digest(db, settings, frequency="daily", now=MORNING)

    assert smtp_server.sink.recipients() == ["reader@example.org"]
    assert report.build.queued == 1 and report.delivery is not None and report.delivery.sent == 1
    [message] = smtp_server.sink.messages
    assert message["X-Envelope-To"] == "reader@example.org"
    assert len(paper_links(message)) == 10  # the top ten of the day, not all twelve
    html = message.get_body(("html",)).get_content()
    assert "&lt;b&gt;learning&lt;/b&gt;" in html and "<b>learning" not in html  # paper text is escaped
    assert "<b>learning</b>" in message.get_body(("plain",)).get_content()
    assert message["Message-ID"].startswith("<") and message["Message-ID"].endswith("@paperfeed.test>")
    assert message["Date"].datetime.tzinfo is not None
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    web, mailto = (part.strip(" <>") for part in str(message["List-Unsubscribe"]).split(","))
    assert web.startswith("http://testserver/unsubscribe/")
    assert mailto.startswith("mailto:digest@paperfeed.test")
    assert web in html and web in message.get_body(("plain",)).get_content()
    assert outbox_counts(db) == {"sent": 1}
    with db.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(DigestPaperRow)) == 10
        assert session.scalar(sa.select(OutboxRow.idempotency_key)).endswith(":daily:2026-06-30")


def test_rerun_in_the_same_period_sends_nothing_more(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 5)
    add_subscriber(db, "reader@example.org")
    run_digest(db, settings, frequency="daily", now=MORNING)
    again = run_digest(db, settings, frequency="daily", now=MORNING + timedelta(hours=10))
    assert again.build.already_queued == 1 and again.build.queued == 0
    assert len(smtp_server.sink.messages) == 1


def test_a_paper_is_never_sent_twice_across_periods(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    first_day = add_papers(db, DAY, 15)
    add_papers(db, DAY + timedelta(days=1), 15)  # the same papers featured again the next day …
    new = add_papers(db, DAY + timedelta(days=1), 3, prefix="2607")  # … and three new ones
    add_subscriber(db, "reader@example.org")

    run_digest(db, settings, frequency="daily", now=MORNING)
    run_digest(db, settings, frequency="daily", now=MORNING + timedelta(days=1))

    monday, tuesday = (paper_links(m) for m in smtp_server.sink.messages)
    assert len(monday) == 10 and not set(monday) & set(tuesday)
    assert sorted(monday + tuesday) == sorted(first_day + new)
    third = run_digest(db, settings, frequency="daily", now=MORNING + timedelta(days=1, hours=30))
    assert third.build.nothing_new == 1 and len(smtp_server.sink.messages) == 2


def test_digest_resumes_after_smtp_outage(db: Database, smtp_server: SmtpServer, tmp_path: Path) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 4)
    subscribers = [f"reader{n}@example.org" for n in range(7)]
    for address in subscribers:
        add_subscriber(db, address)
    smtp_server.sink.refuse_after = 3  # then "421 Service shutting down" for everything

    first = run_digest(db, settings, frequency="daily", now=MORNING)
    assert first.delivery is not None and first.delivery.outage and "421" in first.delivery.outage
    assert (first.delivery.sent, first.delivery.retrying) == (3, 1)
    assert outbox_counts(db) == {"sent": 3, "pending": 4}

    smtp_server.sink.refuse_after = None  # the server is back
    soon = send_pending(db, settings, now=MORNING + timedelta(seconds=30))
    assert soon.sent == 3  # the three never tried go at once; the refused one waits for its back-off
    later = run_digest(db, settings, frequency="daily", now=MORNING + timedelta(minutes=5))
    assert later.build.already_queued == 7 and later.delivery is not None and later.delivery.sent == 1

    assert sorted(smtp_server.sink.recipients()) == sorted(subscribers)  # everyone exactly once
    assert outbox_counts(db) == {"sent": 7}


def test_permanent_refusal_is_recorded_and_others_still_go(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 2)
    add_subscriber(db, "a@example.org")
    add_subscriber(db, "nobody@example.org")
    add_subscriber(db, "c@example.org")
    smtp_server.sink.reject_recipients = {"nobody@example.org"}

    report = run_digest(db, settings, frequency="daily", now=MORNING)

    assert report.delivery is not None and (report.delivery.sent, report.delivery.failed) == (2, 1)
    with db.sessions() as session:
        failed = session.scalars(sa.select(OutboxRow).where(OutboxRow.status == "failed")).one()
    assert failed.recipient == "nobody@example.org" and "550" in (failed.last_error or "")
    assert sorted(smtp_server.sink.recipients()) == ["a@example.org", "c@example.org"]


def test_transient_refusals_back_off_then_give_up(
    sqlite_db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(sqlite_db, DAY, 2)
    add_subscriber(sqlite_db, "a@example.org")
    build_digests(sqlite_db, settings, frequency="daily", now=MORNING)
    smtp_server.sink.refuse_after, smtp_server.sink.refuse_reply = 0, "451 4.3.0 Try again later"

    now, waits = MORNING, []
    for _ in range(MAX_ATTEMPTS):
        assert send_pending(sqlite_db, settings, now=now - timedelta(seconds=1)).sent == 0  # not due yet
        send_pending(sqlite_db, settings, now=now)
        with sqlite_db.sessions() as session:
            row = session.scalars(sa.select(OutboxRow)).one()
        if row.status == "failed":
            break
        due = row.next_attempt_at.replace(tzinfo=UTC)
        waits.append(due - now)
        now = due

    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and "451" in (row.last_error or "")
    assert all(later > earlier for earlier, later in zip(waits, waits[1:], strict=False))
    assert smtp_server.sink.messages == []


def test_unsubscribing_after_build_withdraws_the_queued_digest(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 3)
    add_subscriber(db, "leaver@example.org")
    add_subscriber(db, "stayer@example.org")
    build_digests(db, settings, frequency="daily", now=MORNING)
    unsubscribe_email(db, "Leaver@EXAMPLE.org")

    send_pending(db, settings, now=MORNING)

    assert smtp_server.sink.recipients() == ["stayer@example.org"]
    assert outbox_counts(db) == {"sent": 1, "cancelled": 1}


def test_weekly_digest_covers_the_week_once(db: Database, smtp_server: SmtpServer, tmp_path: Path) -> None:
    settings = smtp_server.settings(tmp_path)
    for offset in range(3):
        add_papers(db, DAY - timedelta(days=offset), 2, prefix=f"26{offset:02d}")
    add_subscriber(db, "weekly@example.org", frequency="weekly")
    run_digest(db, settings, frequency="weekly", now=MORNING)
    run_digest(db, settings, frequency="weekly", now=MORNING + timedelta(days=2))  # same ISO week
    [message] = smtp_server.sink.messages
    assert len(paper_links(message)) == 6
    assert period_key("weekly", MORNING) == "weekly:2026-W27"


def test_dry_run_writes_and_sends_nothing(db: Database, smtp_server: SmtpServer, tmp_path: Path) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 3)
    add_subscriber(db, "reader@example.org")
    report = run_digest(db, settings, frequency="daily", now=MORNING, dry_run=True)
    assert report.build.queued == 1 and report.build.papers == 3 and report.delivery is None
    assert outbox_counts(db) == {} and smtp_server.sink.messages == []

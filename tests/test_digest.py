"""The digest as a subscriber lives it: on time, never twice, only after confirming, through outages."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperfeed.embed import current_model_key
from paperfeed.mail.outbox import LEASE, MAX_ATTEMPTS, outbox_counts, send_pending
from paperfeed.services import accounts
from paperfeed.services.digest import build_digests, period_key, run_digest, run_due_digests
from paperfeed.services.subscriptions import unsubscribe_email
from paperfeed.store import Database
from paperfeed.store.models import DigestPaperRow, LibraryItemRow, OutboxRow
from tests.support.smtp import (
    FakeClock,
    SmtpServer,
    add_papers,
    add_readers,
    add_subscriber,
    start_smtp,
)

DAY = date(2026, 6, 30)
MORNING = datetime(2026, 6, 30, 7, 0, tzinfo=UTC)


def paper_links(message) -> list[str]:  # noqa: ANN001
    text = message.get_body(("plain",)).get_content()
    return [
        line.rsplit("/", 1)[1] for line in text.splitlines() if line.startswith("http://testserver/papers/")
    ]


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
    subscribers = add_readers(db, 7)
    smtp_server.sink.refuse_after = 3  # then "421 Service shutting down" for everything
    clock = FakeClock(MORNING)

    first = run_digest(db, settings, frequency="daily", now=MORNING, clock=clock)
    assert first.delivery is not None and first.delivery.outage and "421" in first.delivery.outage
    assert (first.delivery.sent, first.delivery.retrying) == (3, 1)
    assert outbox_counts(db) == {"sent": 3, "pending": 4}

    smtp_server.sink.refuse_after = None  # the server is back
    clock.advance(timedelta(seconds=30))
    soon = send_pending(db, settings, clock=clock)
    assert soon.sent == 3  # the three never tried go at once; the refused one waits for its back-off
    clock.advance(timedelta(minutes=5))
    later = run_digest(db, settings, frequency="daily", now=MORNING + timedelta(minutes=5), clock=clock)
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


def run_in_thread(target) -> threading.Thread:  # noqa: ANN001
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def wait_for(condition, timeout: float = 20) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_build_longer_than_the_lease_does_not_let_a_second_sender_repeat_mails(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 3)
    subscribers = add_readers(db, 4)
    clock = FakeClock(MORNING)
    smtp_server.sink.delay_s = 0.3  # a slow server: the second sender starts while the first is sending

    def slow_build() -> None:  # each subscriber takes four minutes to build: 16 in all, more than a lease
        clock.advance(timedelta(minutes=4))

    first = run_in_thread(
        lambda: run_digest(
            db, settings, frequency="daily", now=MORNING, clock=clock, on_subscriber=slow_build
        )
    )
    wait_for(lambda: smtp_server.sink.messages)
    assert clock() - MORNING > LEASE
    second = send_pending(db, settings, clock=clock)  # a `digest send-pending` cron at that very moment
    first.join(timeout=60)

    assert second.sent == 0
    assert Counter(smtp_server.sink.recipients()) == Counter(subscribers)  # everyone exactly once
    assert outbox_counts(db) == {"sent": 4}


def test_a_run_for_a_given_period_leases_rows_by_the_wall_clock(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """`digest run --now <an earlier morning>` beside the scheduler or a cron that runs on real time."""
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 3)
    subscribers = add_readers(db, 4)
    smtp_server.sink.delay_s = 0.3

    first = run_in_thread(lambda: run_digest(db, settings, frequency="daily", now=MORNING))
    wait_for(lambda: smtp_server.sink.messages)
    reports = run_due_digests(db, settings)  # the scheduler's tick, on the wall clock
    first.join(timeout=60)

    assert sum(r.delivery.sent for r in reports if r.delivery) == 0
    assert Counter(smtp_server.sink.recipients()) == Counter(subscribers)
    assert outbox_counts(db) == {"sent": 4}


def test_a_sender_whose_lease_ran_out_mid_batch_skips_rows_another_sender_took(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    add_papers(db, DAY, 3)
    subscribers = add_readers(db, 5)
    build_digests(db, smtp_server.settings(tmp_path), frequency="daily", now=MORNING)
    clock = FakeClock(MORNING)
    stalled, resume = threading.Event(), threading.Event()

    def slow_server(accepted: int) -> None:
        clock.advance(timedelta(minutes=6))  # each message takes six minutes: the batch outlives its lease
        if accepted == 1:  # hold the second message until the other sender is done
            stalled.set()
            resume.wait(timeout=30)

    smtp_server.sink.on_mail_from = slow_server
    other_server = start_smtp()  # the second sender relays through another server (and so is not blocked)
    try:
        first = run_in_thread(lambda: send_pending(db, smtp_server.settings(tmp_path), clock=clock))
        wait_for(stalled.is_set)
        # The batch was leased at 07:00 until 07:10; it is 07:12. The message in flight was renewed at
        # 07:06 (until 07:16), the last three were not: another sender may take those, and only those.
        second = send_pending(db, other_server.settings(tmp_path), clock=clock)
        resume.set()
        first.join(timeout=60)
    finally:
        resume.set()
        other_server.stop()

    assert second.sent == 3
    assert len(smtp_server.sink.messages) == 2
    assert Counter(smtp_server.sink.recipients() + other_server.sink.recipients()) == Counter(subscribers)
    assert outbox_counts(db) == {"sent": 5}


def test_one_subscriber_whose_picks_fail_does_not_stop_the_others(
    db: Database, smtp_server: SmtpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 3)
    # Bad data, as a crashed write could leave it: a library entry whose stored vector is cut short. The
    # reader's personal picks read it on every run and fail.
    user = accounts.sign_up(db, "unlucky", "correct horse battery", "unlucky@example.org")
    with db.session() as session:
        session.add(
            LibraryItemRow(
                user_id=user.id,
                match_key="title:cut short",
                title="Cut short",
                authors=[],
                vector=b"abc",
                vector_model=current_model_key(),
                added_at=MORNING,
                imported_at=MORNING,
            )
        )
    add_subscriber(db, "first@example.org")
    unlucky = add_subscriber(db, "unlucky@example.org", user_id=user.id)
    add_subscriber(db, "last@example.org")

    with caplog.at_level("ERROR", logger="paperfeed.services.digest"):
        report = run_digest(db, settings, frequency="daily", now=MORNING)

    assert (report.build.queued, report.build.failed) == (2, 1)
    assert sorted(smtp_server.sink.recipients()) == ["first@example.org", "last@example.org"]
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert f"subscription {unlucky} " in record.getMessage() and "ValueError" in (record.exc_text or "")

    again = run_digest(db, settings, frequency="daily", now=MORNING + timedelta(hours=1))  # the next tick
    assert (again.build.already_queued, again.build.failed, again.build.queued) == (2, 1, 0)
    assert len(smtp_server.sink.messages) == 2 and outbox_counts(db) == {"sent": 2}

"""The outbox: every mail is a row before it is a message, and a row is marked sent only after the SMTP
server accepted it.

Delivery claims a small batch of due rows by pushing their ``next_attempt_at`` a lease into the future
(a conditional UPDATE, so two senders never claim the same row), then sends them one by one, committing
each outcome at once. Just before each message goes out the sender renews that row's lease, on condition
that it still holds it: a row whose lease ran out while earlier messages of the batch were being sent (a
slow server) and that another sender took meanwhile is skipped, not sent twice.

Every lease, back-off and release time is read from the clock at the moment it is written (``Clock``: the
wall clock unless a test or a ``--now`` simulation passes another), never from a moment captured earlier:
a lease computed from a stale "now" could be expired on arrival and let a second sender claim the row.
Consequences:

- A crash or kill loses nothing: unsent rows stay ``pending``; rows claimed by the dead sender become due
  again when their lease runs out (``LEASE``), rows never claimed are due at once.
- At-least-once, with a window of one message: if the process dies after the server said 250 and before
  the commit that marks the row sent, that one message is sent again by the next run. It keeps its
  ``Message-ID``, so mail clients that deduplicate show it once. No other message can be duplicated.
- Retries back off exponentially (``BACKOFF_BASE`` doubled per attempt, capped); 5xx replies and
  ``MAX_ATTEMPTS`` exhausted end as ``failed`` with ``last_error``. Rows of unsubscribed subscriptions
  end as ``cancelled``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.mail.compose import ComposedMail, build_message, message_id
from paperfeed.mail.smtp import Outage, Permanent, SmtpTransport, Transient
from paperfeed.store import Database
from paperfeed.store.models import OutboxRow, SubscriptionRow

LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(minutes=2)
BACKOFF_CAP = timedelta(hours=6)
MAX_ATTEMPTS = 8
BATCH = 50

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(UTC)


def running_clock(start: datetime | None) -> Clock:
    """The wall clock, or (for a simulation such as ``--now``) a clock that reads ``start`` now and then
    runs on at wall-clock speed: never a frozen moment, so no lease is ever computed from a stale time."""
    if start is None:
        return wall_clock
    origin, begin = time.monotonic(), start.astimezone(UTC)
    return lambda: begin + timedelta(seconds=time.monotonic() - origin)


@dataclass
class DeliveryReport:
    """What one delivery pass did; ``outage`` says why it stopped early, if it did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    outage: str | None = None


def enqueue(
    session: Session,
    settings: Settings,
    *,
    key: str,
    kind: str,
    recipient: str,
    mail: ComposedMail,
    subscription_id: int | None,
    now: datetime,
) -> OutboxRow:
    """Add a mail to the outbox (flushed, not committed: the caller's transaction decides).

    The row is due at once: at ``now`` or at the wall-clock time, whichever is earlier (a digest built
    for a simulated future period must not wait for that date to be sent)."""
    row = OutboxRow(
        idempotency_key=key,
        kind=kind,
        recipient=recipient,
        subscription_id=subscription_id,
        subject=mail.subject,
        body_text=mail.text,
        body_html=mail.html,
        headers={**mail.headers, "Message-ID": message_id(settings.mail_from)},
        status="pending",
        attempts=0,
        next_attempt_at=min(now, wall_clock()),
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def backoff(attempts: int) -> timedelta:
    """2 min, 4, 8, … capped at 6 h: an SMTP outage of an afternoon is ridden out in ~8 attempts."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def send_pending(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    clock: Clock | None = None,
    only_ids: Iterable[int] | None = None,
    on_message: Callable[[], None] | None = None,
) -> DeliveryReport:
    """Deliver every due outbox row (or just ``only_ids``); stops early on an SMTP outage.

    ``clock`` is read whenever a row's due-ness is checked or a lease, back-off or release is written;
    it defaults to the wall clock. ``now`` (the CLI's ``--now``) is a simulation: a clock that starts
    there and runs on. Senders on different timelines do not see each other's leases correctly, so never
    point a simulated run at a database that real senders use.
    """
    clock = clock or running_clock(now)
    ids = list(only_ids) if only_ids is not None else None
    report = DeliveryReport()
    if not _anything_due(db, clock(), ids):  # no connection (and no outage report) if there is nothing due
        return report
    try:
        transport = SmtpTransport(settings)
        transport.connect()
    except Outage as error:
        report.outage = str(error)
        return report
    try:
        while report.outage is None:
            batch = _claim(db, clock, ids)
            if not batch:
                break
            active = _active_subscriptions(db, {r.subscription_id for r, _ in batch if r.kind == "digest"})
            for index, (row, lease) in enumerate(batch):
                if not _renew(db, row.id, lease, clock):
                    continue  # our lease ran out and another sender has this row now
                _deliver(db, settings, transport, row, clock, report, active)
                if on_message:
                    on_message()
                if report.outage is not None:
                    _release(db, batch[index + 1 :], clock)
                    break
    finally:
        transport.close()
    return report


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        OutboxRow.status == "pending",
        sa.or_(OutboxRow.next_attempt_at.is_(None), OutboxRow.next_attempt_at <= now),
    )


def _anything_due(db: Database, now: datetime, ids: list[int] | None) -> bool:
    query = sa.select(OutboxRow.id).where(_due(now)).limit(1)
    if ids is not None:
        query = query.where(OutboxRow.id.in_(ids))
    with db.sessions() as session:
        return session.scalar(query) is not None


def _claim(db: Database, clock: Clock, ids: list[int] | None) -> list[tuple[OutboxRow, datetime]]:
    """Up to ``BATCH`` due rows, leased to this sender, each with its lease (which identifies our claim);
    rows another sender took meanwhile are skipped. The lease runs from the clock read here and now."""
    with db.session() as session:
        now = clock()
        lease_until = now + LEASE
        query = sa.select(OutboxRow.id).where(_due(now)).order_by(OutboxRow.id).limit(BATCH)
        if ids is not None:
            query = query.where(OutboxRow.id.in_(ids))
        claimed = []
        for row_id in session.scalars(query).all():
            result = cast(
                sa.CursorResult[Any],
                session.execute(
                    sa.update(OutboxRow)
                    .where(OutboxRow.id == row_id, _due(now))
                    .values(next_attempt_at=lease_until)
                ),
            )
            if result.rowcount == 1:
                claimed.append(row_id)
        if not claimed:
            return []
        rows = session.scalars(sa.select(OutboxRow).where(OutboxRow.id.in_(claimed)).order_by(OutboxRow.id))
        return [(row, lease_until) for row in rows]


def _held(row_id: int, lease: datetime) -> sa.ColumnElement[bool]:
    """The row is still pending and still carries the lease we wrote: nobody else has claimed it."""
    return sa.and_(OutboxRow.id == row_id, OutboxRow.status == "pending", OutboxRow.next_attempt_at == lease)


def _renew(db: Database, row_id: int, lease: datetime, clock: Clock) -> bool:
    """Extend our lease on one row to a full ``LEASE`` from now, just before sending it; False if the row
    is no longer ours (another sender claimed it after our lease ran out, or it was cancelled)."""
    with db.session() as session:
        result = cast(
            sa.CursorResult[Any],
            session.execute(
                sa.update(OutboxRow).where(_held(row_id, lease)).values(next_attempt_at=clock() + LEASE)
            ),
        )
        return result.rowcount == 1


def _release(db: Database, leased: list[tuple[OutboxRow, datetime]], clock: Clock) -> None:
    """Hand back leased rows we did not try, so the next run sends them without waiting for the lease
    (only those still ours: one another sender claimed meanwhile keeps its new lease)."""
    if leased:
        with db.session() as session:
            now = clock()
            for row, lease in leased:
                session.execute(sa.update(OutboxRow).where(_held(row.id, lease)).values(next_attempt_at=now))


def _deliver(
    db: Database,
    settings: Settings,
    transport: SmtpTransport,
    row: OutboxRow,
    clock: Clock,
    report: DeliveryReport,
    active: set[int],
) -> None:
    if row.kind == "digest" and row.subscription_id not in active:
        _record(db, row.id, status="cancelled", last_error="unsubscribed before delivery")
        report.cancelled += 1
        return
    message = build_message(
        mail_from=settings.mail_from,
        recipient=row.recipient,
        subject=row.subject,
        text=row.body_text,
        html=row.body_html,
        headers=row.headers,
        date=datetime.now(UTC),
    )
    attempts = row.attempts + 1
    try:
        transport.send(message)
    except Permanent as error:
        _record(db, row.id, status="failed", attempts=attempts, last_error=str(error))
        report.failed += 1
        return
    except (Transient, Outage) as error:
        if isinstance(error, Outage):
            report.outage = str(error)
        if attempts >= MAX_ATTEMPTS:
            _record(db, row.id, status="failed", attempts=attempts, last_error=f"gave up: {error}")
            report.failed += 1
        else:  # the back-off runs from the moment of the refusal, not from when the pass began
            _record(
                db,
                row.id,
                attempts=attempts,
                last_error=str(error),
                next_attempt_at=clock() + backoff(attempts),
            )
            report.retrying += 1
        return
    # The server has the message: mark it sent in its own commit (the at-least-once window: one message).
    _record(db, row.id, status="sent", attempts=attempts, last_error=None, sent_at=datetime.now(UTC))
    report.sent += 1


def _active_subscriptions(db: Database, ids: set[int | None]) -> set[int]:
    """Which of a batch's subscriptions are still active: a digest is re-checked just before it leaves."""
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return set()
    with db.sessions() as session:
        return set(
            session.scalars(
                sa.select(SubscriptionRow.id).where(
                    SubscriptionRow.id.in_(wanted), SubscriptionRow.status == "active"
                )
            )
        )


def _record(db: Database, row_id: int, **values: object) -> None:
    with db.session() as session:
        session.execute(sa.update(OutboxRow).where(OutboxRow.id == row_id).values(**values))


def cancel_pending(session: Session, subscription_id: int, reason: str) -> int:
    """Withdraw a subscriber's undelivered digests (on unsubscribe); returns how many."""
    result = cast(
        sa.CursorResult[Any],
        session.execute(
            sa.update(OutboxRow)
            .where(
                OutboxRow.subscription_id == subscription_id,
                OutboxRow.status == "pending",
                OutboxRow.kind == "digest",
            )
            .values(status="cancelled", last_error=reason)
        ),
    )
    return result.rowcount or 0


def outbox_counts(db: Database) -> dict[str, int]:
    """Rows per status, for the CLI summary and the tests."""
    with db.sessions() as session:
        rows = session.execute(sa.select(OutboxRow.status, sa.func.count()).group_by(OutboxRow.status))
        return {status: count for status, count in rows}

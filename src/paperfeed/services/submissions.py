"""Submissions as background work: a reader's submission is recorded at once, and a worker fetches it.

A web request only parses the id and inserts a ``queued`` row, so it answers in milliseconds whether arXiv
is up, slow or gone. A :class:`SubmissionWorker` (a daemon thread inside ``paperfeed serve``; any number of
them, in any process or node) claims one due submission at a time with a single UPDATE … RETURNING — on
PostgreSQL its subquery takes the row ``FOR UPDATE SKIP LOCKED``, on SQLite the statement holds the write
lock from its start — so no two workers fetch the same one. The claim is a lease: a worker that dies lets
it run out and another takes the submission over. Every request to arXiv takes its turn from the shared
limiter (``store/pacing.py``). Statuses: ``queued`` → ``fetching`` → ``done`` (the paper is stored and
featured on the submission day) or ``failed`` (with the reason). When arXiv does not answer, the submission
goes back to the queue with a growing delay, up to ``PAPERFEED_HTTP_RETRIES`` retries.

With ``PAPERFEED_SUBMISSIONS_NEED_APPROVAL`` a fetched paper is stored but not featured: the submission is
``awaiting`` until an admin approves it (``done``, featured on its day) or rejects it (``rejected``), with
who and when (:func:`approve`, :func:`reject`, done in the admin's transaction by ``services/admin.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.domain.arxiv_id import parse_arxiv_id
from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.ingest.http import PoliteClient, SourceUnavailable
from paperfeed.ingest.records import MalformedSource
from paperfeed.services.submit import PaperNotFound, arxiv_client, feature_paper, fetch_record, retry_delay
from paperfeed.store import Database
from paperfeed.store.feed import upsert_feed_entries
from paperfeed.store.leases import holder_name
from paperfeed.store.models import PaperRow, SubmissionRow
from paperfeed.store.papers import get_paper, upsert_papers

log = logging.getLogger(__name__)
QUEUED, FETCHING, DONE, FAILED = "queued", "fetching", "done", "failed"
AWAITING, REJECTED = "awaiting", "rejected"  # held for an admin's approval; refused by one
PENDING = (QUEUED, FETCHING)
LABELS = {AWAITING: "awaiting approval"}  # what people read, where it differs from the status
CLAIM_TTL = timedelta(minutes=5)  # one fetch takes seconds; a claim this old belongs to a dead worker
POLL_S = 2.0  # how often an idle worker looks for work submitted through another process
_wake = threading.Event()  # set by submit(): a worker in this process starts at once instead of polling


@dataclass(frozen=True, slots=True)
class Submission:
    id: int
    text: str
    paper_id: str
    user_id: int | None
    submitted_by: str
    featured_on: date
    status: str
    attempts: int
    error: str | None
    claimed_by: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    title: str | None = None  # the paper's, once it is stored
    decided_by: str | None = None  # the admin who approved or rejected it (approval wanted)
    decided_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    @property
    def label(self) -> str:
        return LABELS.get(self.status, self.status)


def submit(
    db: Database,
    text: str,
    *,
    submitted_by: str,
    today: date,
    user_id: int | None = None,
) -> Submission:
    """Queue ``text`` (an arXiv id or abs/pdf URL) to be featured on ``today``. Raises ``InvalidArxivId``
    before storing anything; the same reader re-submitting a paper still pending gets the pending one."""
    paper_id = parse_arxiv_id(text).base
    now = datetime.now(UTC)
    with db.session() as session:
        if user_id is not None:
            pending = session.scalar(
                sa.select(SubmissionRow).where(
                    SubmissionRow.user_id == user_id,
                    SubmissionRow.paper_id == paper_id,
                    SubmissionRow.featured_on == today,
                    SubmissionRow.status.in_((*PENDING, AWAITING)),
                )
            )
            if pending is not None:
                return _submission(pending)
        row = SubmissionRow(
            text=text.strip()[:500],
            paper_id=paper_id,
            user_id=user_id,
            submitted_by=submitted_by,
            featured_on=today,
            status=QUEUED,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        queued = _submission(row)
    _wake.set()
    return queued


def get_submission(db: Database, submission_id: int) -> Submission | None:
    with db.sessions() as session:
        found = session.execute(
            sa.select(SubmissionRow, PaperRow.title)
            .outerjoin(PaperRow, _paper_done())
            .where(SubmissionRow.id == submission_id)
        ).first()
    return _submission(*found) if found else None


def list_submissions(
    db: Database,
    *,
    user_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
) -> list[Submission]:
    """Newest first; one reader's when ``user_id`` is given, those in one ``status`` when that is."""
    query = sa.select(SubmissionRow, PaperRow.title).outerjoin(PaperRow, _paper_done())
    if user_id is not None:
        query = query.where(SubmissionRow.user_id == user_id)
    if status is not None:
        query = query.where(SubmissionRow.status == status)
    with db.sessions() as session:
        rows = session.execute(query.order_by(SubmissionRow.id.desc()).limit(limit)).all()
    return [_submission(row, title) for row, title in rows]


def count_by_status(db: Database) -> dict[str, int]:
    with db.sessions() as session:
        counts = sa.select(SubmissionRow.status, sa.func.count()).group_by(SubmissionRow.status)
        return {status: count for status, count in session.execute(counts)}


def retry_submission(db: Database, submission_id: int) -> bool:
    """Queue a failed submission again, with a fresh count of attempts; False if it had not failed."""
    with db.session() as session:
        queued = requeue(session, submission_id)
    _wake.set()
    return queued


def requeue(session: Session, submission_id: int) -> bool:
    """:func:`retry_submission` in the caller's transaction (the admin page records it in the same one)."""
    return (
        session.execute(
            sa.update(SubmissionRow)
            .where(SubmissionRow.id == submission_id, SubmissionRow.status == FAILED)
            .values(
                status=QUEUED,
                attempts=0,
                error=None,
                next_attempt_at=None,
                finished_at=None,
                updated_at=datetime.now(UTC),
            )
            .returning(SubmissionRow.id)
        ).first()
        is not None
    )


def approve(session: Session, submission_id: int, *, by: str, day: date | None = None) -> Submission | None:
    """Feature a submission awaiting approval on its day (or ``day``), in the caller's transaction (the
    admin page records it in the same one); None if it was not awaiting approval."""
    now = datetime.now(UTC)
    row = _decide(session, submission_id, DONE, by=by, now=now, day=day)
    if row is None:
        return None
    paper = get_paper(session, row.paper_id)
    if paper is None:  # stored when it was fetched; only a restored older backup could lack it
        raise LookupError(f"the paper {row.paper_id} of submission {submission_id} is not stored")
    entries = [FeedEntry(paper.id, row.featured_on, FeedSource.SUBMISSION, submitted_by=row.submitted_by)]
    if paper.published and paper.published != row.featured_on:  # its arXiv listing day, as feature_paper does
        entries.append(FeedEntry(paper.id, paper.published, FeedSource.ARXIV))
    upsert_feed_entries(session, entries)
    return _submission(row, paper.title)


def reject(session: Session, submission_id: int, *, by: str) -> Submission | None:
    """Refuse a submission awaiting approval: its paper stays stored, never featured for it. None if it was
    not awaiting approval."""
    row = _decide(session, submission_id, REJECTED, by=by, now=datetime.now(UTC))
    return _submission(row) if row is not None else None


def _decide(
    session: Session,
    submission_id: int,
    status: str,
    *,
    by: str,
    now: datetime,
    day: date | None = None,
) -> SubmissionRow | None:
    values: dict[str, object] = {
        "status": status,
        "decided_by": by[:64],
        "decided_at": now,
        "finished_at": now,
        "updated_at": now,
    }
    if day is not None:
        values["featured_on"] = day
    return session.scalars(  # one UPDATE: of two admins deciding at once, only the first one does
        sa.update(SubmissionRow)
        .where(SubmissionRow.id == submission_id, SubmissionRow.status == AWAITING)
        .values(**values)
        .returning(SubmissionRow)
        .execution_options(synchronize_session=False)
    ).first()


def wake_workers() -> None:
    """Tell the workers of this process to look for work now (others poll every :data:`POLL_S`)."""
    _wake.set()


def claim_next(
    db: Database,
    worker: str,
    *,
    submission_id: int | None = None,
    now: datetime | None = None,
) -> Submission | None:
    """Claim the oldest due submission (or only ``submission_id``) for ``worker``; None if there is none."""
    now = now or datetime.now(UTC)
    due = sa.or_(
        sa.and_(
            SubmissionRow.status == QUEUED,
            sa.or_(SubmissionRow.next_attempt_at.is_(None), SubmissionRow.next_attempt_at <= now),
        ),
        sa.and_(SubmissionRow.status == FETCHING, SubmissionRow.lease_until < now),
    )
    pick = sa.select(SubmissionRow.id).where(due)
    if submission_id is not None:
        pick = pick.where(SubmissionRow.id == submission_id)
    pick = pick.order_by(SubmissionRow.id).limit(1).with_for_update(skip_locked=True)
    statement = (
        sa.update(SubmissionRow)
        .where(SubmissionRow.id == pick.scalar_subquery(), due)
        .values(
            status=FETCHING,
            claimed_by=worker[:200],
            lease_until=now + CLAIM_TTL,
            attempts=SubmissionRow.attempts + 1,
            updated_at=now,
        )
        .returning(SubmissionRow)
        .execution_options(synchronize_session=False)
    )
    with db.session() as session:
        row = session.scalars(statement).first()
        return _submission(row) if row else None


def process(db: Database, settings: Settings, claimed: Submission, client: PoliteClient) -> Submission:
    """Fetch a claimed submission and record the outcome; never raises for arXiv's failures."""
    try:
        record = fetch_record(db, claimed.paper_id, client=client, settings=settings)
        if settings.submissions_need_approval:  # stored now, featured once an admin approves it
            with db.session() as session:
                upsert_papers(session, [record.paper])
            return _finish(db, claimed, AWAITING, None)
        feature_paper(db, record, submitted_by=claimed.submitted_by, day=claimed.featured_on)
    except SourceUnavailable as error:
        if claimed.attempts > settings.http_retries:
            why = f"arXiv could not be reached after {claimed.attempts} tries: {error}"
            return _finish(db, claimed, FAILED, why)
        wait = retry_delay(claimed.attempts, settings.request_interval_s)
        return _finish(
            db,
            claimed,
            QUEUED,
            f"arXiv did not answer ({error}); retrying in {wait:.0f} s",
            next_attempt_at=datetime.now(UTC) + timedelta(seconds=wait),
        )
    except (PaperNotFound, MalformedSource) as error:
        return _finish(db, claimed, FAILED, str(error))
    except Exception as error:  # a bug or a database error: say so on the status page, keep the traceback
        log.exception("submission %d failed", claimed.id)
        return _finish(db, claimed, FAILED, f"internal error ({type(error).__name__}); an admin can retry it")
    return _finish(db, claimed, DONE, None)


def run_pending(db: Database, settings: Settings, *, client: PoliteClient | None = None) -> int:
    """Fetch every submission that is due now, one after the other; returns how many were handled."""
    worker = holder_name()
    handled = 0
    with arxiv_client(settings) if client is None else nullcontext(client) as http:
        while (claimed := claim_next(db, worker)) is not None:
            process(db, settings, claimed, http)
            handled += 1
    return handled


def run_now(db: Database, settings: Settings, submission_id: int) -> Submission:
    """Handle one submission in this process (``paperfeed submit``), retries included, unless a worker
    already has it, in which case wait for that worker. Returns it done, failed or awaiting approval."""
    worker = holder_name()
    with arxiv_client(settings) as http:
        while True:
            claimed = claim_next(db, worker, submission_id=submission_id)
            current = process(db, settings, claimed, http) if claimed else _stored(db, submission_id)
            if not current.pending:
                return current
            wake_at = current.next_attempt_at or datetime.now(UTC) + timedelta(seconds=0.5)
            time.sleep(min(max((wake_at - datetime.now(UTC)).total_seconds(), 0.05), POLL_S))


class SubmissionWorker:
    """A daemon thread fetching queued submissions; several may run, in any process or node."""

    def __init__(self, db: Database, settings: Settings, *, poll_s: float = POLL_S) -> None:
        self.db, self.settings, self.poll_s = db, settings, poll_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paperfeed-submissions", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        _wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        worker = holder_name()
        with arxiv_client(self.settings) as client:
            while not self._stop.is_set():
                try:
                    claimed = claim_next(self.db, worker)
                    if claimed is not None:
                        process(self.db, self.settings, claimed, client)
                        continue
                except Exception:  # the database is away: keep the thread, try again after a pause
                    log.exception("submission worker: claiming failed")
                _wake.wait(self.poll_s)
                _wake.clear()


def start_submission_worker(db: Database, settings: Settings) -> Callable[[], None]:
    """Start one :class:`SubmissionWorker` (``paperfeed serve`` does); returns the function that stops it."""
    worker = SubmissionWorker(db, settings)
    worker.start()
    return worker.stop


def _finish(
    db: Database,
    claimed: Submission,
    status: str,
    error: str | None,
    *,
    next_attempt_at: datetime | None = None,
) -> Submission:
    now = datetime.now(UTC)
    finished = now if status in (DONE, FAILED) else None
    with db.session() as session:
        session.execute(
            sa.update(SubmissionRow)
            .where(SubmissionRow.id == claimed.id)
            .values(
                status=status,
                error=error,
                next_attempt_at=next_attempt_at,
                lease_until=None,
                updated_at=now,
                finished_at=finished,
            )
        )
    return _stored(db, claimed.id)


def _paper_done() -> sa.ColumnElement[bool]:
    """The paper of a submission that got as far as storing it."""
    return sa.and_(
        PaperRow.id == SubmissionRow.paper_id, SubmissionRow.status.in_((DONE, AWAITING, REJECTED))
    )


def _stored(db: Database, submission_id: int) -> Submission:
    found = get_submission(db, submission_id)
    if found is None:  # submissions are never deleted; a database restored from an older backup could do it
        raise LookupError(f"submission {submission_id} disappeared while it was handled")
    return found


def _submission(row: SubmissionRow, title: str | None = None) -> Submission:
    return Submission(
        id=row.id,
        text=row.text,
        paper_id=row.paper_id,
        user_id=row.user_id,
        submitted_by=row.submitted_by,
        featured_on=row.featured_on,
        status=row.status,
        attempts=row.attempts,
        error=row.error,
        claimed_by=row.claimed_by,
        next_attempt_at=row.next_attempt_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        title=title,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )

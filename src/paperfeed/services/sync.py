"""The daily round in one call: harvest the configured categories for every day since the last successful
sync, optionally Hugging Face's daily papers of the same days, then embed what is new and send digests due.

- **Catch-up**: the days to fetch run from the day after the last day a sync finished up to today, so a
  server that was down for three days fetches those three days, once. Days without papers (weekends,
  holidays) are simply empty, not errors.
- **Resumable and idempotent**: each (category, day) harvest is a resumable job of its own (its checkpoint
  is committed with each page) and a day is marked done only when all its sources are in, so a killed sync
  starts again where it stopped, and a second sync of the same days stores nothing new.
- **One at a time**: a lease in the database (``store/leases.py``) lets one sync run across every process
  and node; a second one started meanwhile returns at once and says who is running.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from paperfeed.config import Settings
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.pipeline import IngestSummary
from paperfeed.services.digest import run_due_digests
from paperfeed.services.harvest import harvest_arxiv
from paperfeed.services.hf_daily import import_hf_daily
from paperfeed.services.library import embed_library_pending
from paperfeed.services.search import embed_pending
from paperfeed.store import Database
from paperfeed.store.jobs import finish_job, start_job
from paperfeed.store.leases import acquire, current_holder, holder_name, release, renew
from paperfeed.store.models import IngestJobRow

log = logging.getLogger(__name__)
LEASE = "sync"
LEASE_TTL = timedelta(minutes=20)  # renewed after every step; one step (a category-day) takes seconds
FIRST_SYNC_DAYS = 2  # with no earlier sync: the day before yesterday and yesterday
MAX_CATCH_UP_DAYS = 31  # a longer gap is a job for `paperfeed ingest oai` (bulk), not a daily round
DAY_JOB = "sync-day"
RUN_JOB = "sync-run"

#: Told about each step: (what is being done, steps done, steps in all).
OnStep = Callable[[str, int, int], None]


@dataclass
class SyncReport:
    days: list[date] = field(default_factory=list)
    categories: tuple[str, ...] = ()
    papers: IngestSummary = field(default_factory=IngestSummary)
    hugging_face: IngestSummary | None = None
    embedded: int = 0
    library_embedded: int = 0
    digests_queued: int = 0
    skipped: str | None = None  # why nothing was done (another sync holds the lease)
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class SyncStatus:
    last_success: datetime | None
    last_day: date | None
    last_error: str | None
    last_error_at: datetime | None
    running: str | None  # holder of the lease, if a sync is running now


def sync_categories(settings: Settings) -> tuple[str, ...]:
    return tuple(c.strip() for c in settings.sync_categories.split(",") if c.strip())


def days_to_sync(last_day: date | None, today: date) -> list[date]:
    """Every complete (UTC) submission day after the last synced one, up to yesterday, at most
    :data:`MAX_CATCH_UP_DAYS` of them. Today is left for tomorrow's round: its submissions are still
    coming in (arXiv itself announces a day's papers the evening after)."""
    last = today - timedelta(days=1)
    first = last - timedelta(days=FIRST_SYNC_DAYS - 1) if last_day is None else last_day + timedelta(days=1)
    first = max(first, last - timedelta(days=MAX_CATCH_UP_DAYS - 1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def run_sync(
    db: Database,
    settings: Settings,
    *,
    today: date | None = None,
    since: date | None = None,
    categories: tuple[str, ...] | None = None,
    hugging_face: bool | None = None,
    embed: bool = True,
    client: PoliteClient | None = None,
    on_step: OnStep | None = None,
) -> SyncReport:
    """One sync round; see the module docstring. Raises on a source that fails, after recording why."""
    started = time.monotonic()
    today = today or datetime.now(UTC).date()
    categories = categories if categories is not None else sync_categories(settings)
    if not categories:
        raise ValueError(
            "no categories to sync: set PAPERFEED_SYNC_CATEGORIES (e.g. cs.LG,cs.CL) or pass --category"
        )
    hugging_face = settings.sync_hugging_face if hugging_face is None else hugging_face
    report = SyncReport(categories=categories)
    holder = holder_name()
    if not acquire(db, LEASE, holder, LEASE_TTL):
        running = current_holder(db, LEASE)
        report.skipped = f"another sync is running ({running[0] if running else 'just finished'})"
        return report
    try:
        status = sync_status(db)
        report.days = (
            [since + timedelta(days=n) for n in range((today - since).days)]
            if since
            else days_to_sync(status.last_day, today)
        )  # complete days only: up to yesterday
        steps = len(report.days) * (len(categories) + (1 if hugging_face else 0)) + (2 if embed else 0)
        done = 0
        owned = PoliteClient.from_settings(settings) if client is None else None
        http = client or owned
        try:
            for day in report.days:
                for category in categories:
                    _step(on_step, f"arXiv {category} {day}", done, steps)
                    report.papers.merge(harvest_arxiv(db, category, day, day, client=http, settings=settings))
                    done += 1
                    renew(db, LEASE, holder, LEASE_TTL)
                if hugging_face:
                    _step(on_step, f"Hugging Face {day}", done, steps)
                    url = f"{settings.hf_daily_url}?date={day.isoformat()}"
                    summary = import_hf_daily(db, url, client=http)
                    report.hugging_face = report.hugging_face or IngestSummary()
                    report.hugging_face.merge(summary)
                    done += 1
                _mark_day_done(db, day, categories)
        finally:
            if owned is not None:
                owned.close()
        if embed:
            _step(on_step, "embedding new papers", done, steps)
            report.embedded = embed_pending(db)
            report.library_embedded = embed_library_pending(db)
            _step(on_step, "digests due", done + 1, steps)
            report.digests_queued = sum(r.build.queued for r in run_due_digests(db, settings))
        report.seconds = time.monotonic() - started
        _record_run(db, report, error=None)
        return report
    except Exception as error:
        _record_run(db, report, error=f"{type(error).__name__}: {error}")
        raise
    finally:
        release(db, LEASE, holder)


def sync_status(db: Database) -> SyncStatus:
    """When the site was last brought up to date (for "updated … ago") and the last failure, if any."""
    with db.sessions() as session:
        last_day = session.scalar(
            sa.select(sa.func.max(IngestJobRow.key)).where(
                IngestJobRow.kind == DAY_JOB, IngestJobRow.status == "done"
            )
        )
        runs = session.execute(
            sa.select(IngestJobRow.status, IngestJobRow.finished_at, IngestJobRow.error).where(
                IngestJobRow.kind == RUN_JOB
            )
        ).first()
    running = current_holder(db, LEASE)
    success = runs.finished_at if runs and runs.status == "done" else None
    failed = runs if runs and runs.status == "failed" else None
    if success is None and last_day:
        with db.sessions() as session:
            success = session.scalar(
                sa.select(sa.func.max(IngestJobRow.finished_at)).where(
                    IngestJobRow.kind == DAY_JOB, IngestJobRow.status == "done"
                )
            )
    return SyncStatus(
        last_success=success,
        last_day=date.fromisoformat(last_day) if last_day else None,
        last_error=failed.error if failed else None,
        last_error_at=failed.finished_at if failed else None,
        running=running[0] if running else None,
    )


def _step(on_step: OnStep | None, what: str, done: int, steps: int) -> None:
    log.info("sync: %s", what)
    if on_step is not None:
        on_step(what, done, steps)


def _mark_day_done(db: Database, day: date, categories: tuple[str, ...]) -> None:
    with db.session() as session:
        job = start_job(session, DAY_JOB, day.isoformat())
        finish_job(session, job.id, {"categories": len(categories)})


def _record_run(db: Database, report: SyncReport, *, error: str | None) -> None:
    """The latest run's outcome, one row (key "last"), so admins see why a sync failed."""
    counts = {**report.papers.as_counts(), "days": len(report.days), "embedded": report.embedded}
    with db.session() as session:
        job = start_job(session, RUN_JOB, "last")
        finish_job(session, job.id, counts, error=error)


def start_sync_scheduler(
    db: Database,
    settings: Settings,
    *,
    interval_s: float = 600.0,
) -> Callable[[], None]:
    """Sync once a day from ``sync_hour_utc`` on, in a daemon thread; returns the function that stops it.

    A no-op unless ``PAPERFEED_SYNC_CATEGORIES`` is set (the bundled demo stays offline). Every worker and
    node may run it: the lease lets one sync at a time, and a day already synced is not fetched again.
    """
    if not sync_categories(settings):
        return lambda: None
    stopping = threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            now = datetime.now(UTC)
            try:
                status = sync_status(db)
                due = status.last_day is None or status.last_day < now.date() - timedelta(days=1)
                if due and now.hour >= settings.sync_hour_utc:
                    report = run_sync(db, settings)
                    if not report.skipped:
                        log.info("sync done: %d days, %d new papers", len(report.days), report.papers.new)
            except Exception:  # logged and recorded; the next tick retries
                log.exception("scheduled sync failed")
            stopping.wait(interval_s)

    thread = threading.Thread(target=loop, name="paperfeed-sync", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=30)

    return stop

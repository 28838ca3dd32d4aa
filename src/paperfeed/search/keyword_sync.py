"""Keeping a keyword index in step with the database, which stays the source of truth.

Every content change of a paper bumps ``papers.modified_at`` (``store.papers.upsert_papers``). The index
commits, atomically with the papers, a state document holding ``seen`` (the newest ``modified_at`` indexed)
and ``high_water`` (from where the next catch-up reads, minus ``OVERLAP``). Reading again a little before the
mark covers rows that commit late: SQLite stamps a batch just before it waits for the write lock (up to the
busy timeout); on PostgreSQL transactions commit in any order, so ``high_water`` is held back to the start of
the oldest transaction still open. Re-indexing a paper is idempotent (delete by id, add), so reading too much
only costs time. Deletions and anything else that drifted are found by comparing counts (every
``COUNT_CHECK_S`` and at start) and then the sets of ``id + content hash`` on both sides.

So a node that starts with a missing or stale index catches up by itself: a small backlog inside the search
that notices it, a large one (a new node, a rebuild) in a background thread while searches are answered by the
database's own FTS5 / tsvector index. A crash between a database commit and the index update leaves rows newer
than the index's mark, which the next search or start-up picks up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from paperfeed.domain.paper import Paper
from paperfeed.search import keyword_index as ki
from paperfeed.search.locations import index_root
from paperfeed.store.commit_order import oldest_open_transaction
from paperfeed.store.data_version import DataVersion, unchanged_since, version_seen_by
from paperfeed.store.models import PaperRow

log = logging.getLogger(__name__)
OVERLAP = timedelta(seconds=60)  # > SQLite's 30 s busy timeout and any clock skew between app nodes
INLINE_MAX = 5_000  # a backlog up to this many papers is indexed inside the search that notices it
INLINE_WAIT_S = 30.0  # how long a search waits for another thread's small catch-up
COUNT_CHECK_S = 30.0
LATE_CHECK_S = 5.0  # while writes are recent, re-read the overlap window this often
PAGE = 2_000
_COLUMNS = (
    PaperRow.id,
    PaperRow.title,
    PaperRow.abstract,
    PaperRow.authors,
    PaperRow.categories,
    PaperRow.published,
    PaperRow.withdrawn,
    PaperRow.content_hash,
    PaperRow.modified_at,
)


class KeptIndex:
    """A database's keyword index in this process, and the bookkeeping that keeps it current."""

    def __init__(self, database_url: str, title_repeat: int = 2) -> None:
        self.index = ki.KeywordIndex(index_root(database_url), title_repeat=title_repeat)
        self.repeat = title_repeat
        self._lock = threading.Lock()  # one writer per process (tantivy's lock file covers processes)
        self._recent: dict[str, str] = {}  # id -> content hash indexed here within the overlap window
        self._counted_at = 0.0
        self._window_at = 0.0
        self._background: threading.Thread | None = None
        # The data version (store/data_version) under which a check last found the index current with nothing
        # left to look at again (no write within the overlap window): while it has not moved, nothing was
        # committed since and the check is skipped (on PostgreSQL a round trip and a scan of an index).
        self._settled_at: DataVersion | None = None
        self._counted_version: DataVersion | None = None  # counting finds drift only after a change

    # --- the check each search makes ----------------------------------------------------------------------
    def ready(self, session: Session, *, full_check: bool = False) -> bool:
        """Bring the index up to date when cheap; False when it cannot answer yet (ask the database)."""
        version = version_seen_by(session)
        now = time.monotonic()
        uncounted = not unchanged_since(version, self._counted_version)
        count_due = full_check or (uncounted and now - self._counted_at > COUNT_CHECK_S)
        if not count_due and unchanged_since(version, self._settled_at):
            return True
        top = session.execute(sa.select(sa.func.max(PaperRow.modified_at))).scalar()
        state = self.index.state()
        if top is None and state.high_water is None:
            self._settled_at = version
            return True
        behind = top is not None and (state.seen is None or top > state.seen)
        late = (
            state.seen is not None
            and now - self._window_at > LATE_CHECK_S
            and (state.high_water is None or state.high_water < state.seen or _recent(state.seen))
        )
        if behind or late:
            self.index.reload()
            state = self.index.state()
            behind = top is not None and (state.seen is None or top > state.seen)
        if behind or late or full_check:
            since = None if state.high_water is None else state.high_water - OVERLAP
            backlog = _count_since(session, since)
            if backlog > INLINE_MAX:
                self._catch_up_in_background(session)
                return state.high_water is not None and not behind
            self._try(lambda: self.catch_up(session))
            state = self.index.state()
        if count_due and state.high_water is not None:
            # the version counts as counted only once a count (and the repair it called for) has run
            self._counted_at = now
            if state.papers > INLINE_MAX and not full_check:
                # counting a large table is a scan: never inside a search
                self._catch_up_in_background(session, reconcile=True, version=version)
            elif _live_count(session) == state.papers or self._try(lambda: self.reconcile(session)):
                self._counted_version = version
        state = self.index.state()
        settled = (
            state.high_water is not None
            and state.seen is not None
            and state.high_water >= state.seen
            and not _recent(state.seen)
            and (top is None or top <= state.seen)
        )
        self._settled_at = version if settled else None
        return state.high_water is not None

    def _try(self, work: Callable[[], object]) -> bool:
        """Run ``work`` holding this process's write lock. Another thread's small catch-up is waited for (it
        ends in moments, and this one then finds little left); a background catch-up is not."""
        busy_in_background = (
            self._background is not None
            and self._background.is_alive()
            and self._background is not threading.current_thread()
        )
        if not (
            self._lock.acquire(blocking=False)
            if busy_in_background
            else self._lock.acquire(timeout=INLINE_WAIT_S)
        ):
            return False
        try:
            work()
            return True
        except ValueError as error:  # tantivy's lock file: another process is writing; it will catch up
            log.info("keyword index busy elsewhere: %s", error)
            return False
        finally:
            self._lock.release()

    def _catch_up_in_background(
        self, session: Session, *, reconcile: bool = False, version: DataVersion | None = None
    ) -> None:
        """Catch up (or reconcile, then mark ``version`` counted) in a thread, unless one is running."""
        if self._background is not None and self._background.is_alive():
            return
        sessions = sessionmaker(session.get_bind())

        def run() -> None:
            try:
                with sessions() as own:
                    done = self._try(lambda: self.reconcile(own) if reconcile else self.catch_up(own))
                if done and reconcile and version is not None:
                    self._counted_version = version
            except Exception:  # noqa: BLE001 - a background thread must log, not die silently
                log.exception("keyword index catch-up failed; searches use the database meanwhile")

        self._background = threading.Thread(target=run, name="keyword-index-catch-up", daemon=True)
        self._background.start()

    # --- writing (callers hold the lock) -----------------------------------------------------------------
    def catch_up(self, session: Session) -> int:
        """Index every paper modified since the mark (minus the overlap); returns how many changed."""
        state = self.index.state()
        since = None if state.high_water is None else state.high_water - OVERLAP
        horizon = oldest_open_transaction(session)
        writer = self.index.writer()
        empty = state.high_water is None  # never built (or lost): nothing to replace, only to add
        if empty:
            writer.delete_all_documents()
        changed, seen = 0, state.seen
        for papers in _papers_since(session, since):
            fresh = [(p, h) for p, h, _ in papers if self._recent.get(p.id) != h]
            changed += len(fresh)
            if empty:
                ki.add_papers(writer, fresh, self.repeat)
            else:
                ki.replace_papers(writer, fresh, self.repeat)
                self._recent.update((p.id, h) for p, h in fresh)
            newest = papers[-1][2]  # pages come in modified_at order
            seen = newest if seen is None else max(seen, newest)
        high_water = seen if horizon is None or seen is None else min(seen, horizon)
        if not changed and not empty and (high_water, seen) == (state.high_water, state.seen):
            writer.rollback()  # nothing to commit: no new segment, no file written
            self._window_at = time.monotonic()
            return 0
        ki.commit(writer, high_water, seen)
        writer.wait_merging_threads()
        self.index.reload()
        self._window_at = time.monotonic()
        if len(self._recent) > 4 * INLINE_MAX:  # only the overlap window needs remembering
            self._recent.clear()
        return changed

    def reconcile(self, session: Session) -> tuple[int, int]:
        """Compare id + content hash of every paper on both sides; fix the index. Returns (added, removed).

        Cheap when the counts agree (one count of the table): only then is nothing compared."""
        self.catch_up(session)
        if _live_count(session) == self.index.state().papers:
            return 0, 0
        indexed = self.index.indexed_keys()
        stored = {
            ki.paper_key(pid, digest)
            for pid, digest in session.execute(
                sa.select(PaperRow.id, PaperRow.content_hash).where(PaperRow.withdrawn.is_(False))
            )
        }
        gone = {key.split("\u0001", 1)[0] for key in indexed - stored}
        for paper_id in gone:
            self._recent.pop(paper_id, None)
        missing = [key.split("\u0001", 1)[0] for key in stored - indexed]
        writer = self.index.writer()
        for paper_id in gone:
            writer.delete_documents_by_term("id", paper_id)
        for start in range(0, len(missing), PAGE):
            rows = session.execute(sa.select(*_COLUMNS).where(PaperRow.id.in_(missing[start : start + PAGE])))
            ki.replace_papers(writer, ((_paper(r), r.content_hash) for r in rows), self.repeat)
        state = self.index.state()
        ki.commit(writer, state.high_water, state.seen)
        writer.wait_merging_threads()
        self.index.reload()
        if gone or missing:
            log.info("keyword index reconciled: %d added, %d removed", len(missing), len(gone))
        return len(missing), len(gone - set(missing))

    def rebuild(self, session: Session, *, on_progress: Callable[[int], None] | None = None) -> int:
        """Index every paper from scratch (one commit at the end: searches see the old index until then).

        Waits for a catch-up this process is running (it holds the one writer)."""
        with self._lock:
            return self._rebuild(session, on_progress)

    def _rebuild(self, session: Session, on_progress: Callable[[int], None] | None) -> int:
        top = session.execute(sa.select(sa.func.max(PaperRow.modified_at))).scalar()
        horizon = oldest_open_transaction(session)
        writer = self.index.writer(threads=2, heap=256_000_000)
        writer.delete_all_documents()
        done = 0
        for papers in _papers_since(session, None, order_by_id=True):
            done += ki.add_papers(writer, ((p, h) for p, h, _ in papers), self.repeat)
            if on_progress is not None:
                on_progress(done)
        ki.commit(writer, top if horizon is None or top is None else min(top, horizon), top)
        writer.wait_merging_threads()
        self.index.reload()
        self._recent.clear()
        return done


def _recent(moment: datetime) -> bool:
    return datetime.now(moment.tzinfo) - moment < 2 * OVERLAP


def _paper(row: sa.Row) -> Paper:
    return Paper(
        id=row.id,
        title=row.title or "",
        abstract=row.abstract or "",
        authors=tuple(row.authors or ()),
        categories=tuple(row.categories or ()),
        published=row.published,
        withdrawn=bool(row.withdrawn),
    )


def _papers_since(
    session: Session, since: datetime | None, *, order_by_id: bool = False
) -> Iterator[list[tuple[Paper, str, datetime]]]:
    """Pages of ``(paper, content hash, modified_at)`` modified after ``since`` (all when None)."""
    last_time, last_id = since, ""
    while True:
        query = sa.select(*_COLUMNS)
        if order_by_id:
            query = query.where(PaperRow.id > last_id).order_by(PaperRow.id)
        else:
            if last_time is not None:
                query = query.where(
                    sa.or_(
                        PaperRow.modified_at > last_time,
                        sa.and_(PaperRow.modified_at == last_time, PaperRow.id > last_id),
                    )
                )
            query = query.order_by(PaperRow.modified_at, PaperRow.id)
        rows = session.execute(query.limit(PAGE)).all()
        if not rows:
            return
        yield [(_paper(r), r.content_hash, r.modified_at) for r in rows]
        last_time, last_id = rows[-1].modified_at, rows[-1].id


def _count_since(session: Session, since: datetime | None) -> int:
    query = sa.select(sa.func.count()).select_from(PaperRow)
    if since is not None:
        query = query.where(PaperRow.modified_at > since)
    return int(session.execute(query).scalar_one())


def _live_count(session: Session) -> int:
    return int(
        session.execute(
            sa.select(sa.func.count()).select_from(PaperRow).where(PaperRow.withdrawn.is_(False))
        ).scalar_one()
    )


_kept: dict[tuple[str, int], KeptIndex] = {}
_kept_lock = threading.Lock()


def kept_index(database_url: str, title_repeat: int = 2) -> KeptIndex:
    """This process's keyword index of a database (one per process, shared by every request); a new title
    weight is a new index (in its own folder, built on first use)."""
    with _kept_lock:
        key = (database_url, title_repeat)
        if key not in _kept:
            _kept[key] = KeptIndex(database_url, title_repeat)
        return _kept[key]


def forget_kept_indexes(database_url: str | None = None) -> None:
    """Drop this process's handles (a test database went away, or a benchmark measures a cold start)."""
    with _kept_lock:
        for key in [k for k in _kept if database_url is None or k[0] == database_url]:
            del _kept[key]

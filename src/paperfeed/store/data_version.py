"""The data version: a number that grows with every committed change to what anonymous pages show.

Triggers keep it (migration ``0016_data_version``), so it counts every writer on every node. A page cache
compares it with the version a page was rendered under: equal means the page is still right. Reading it is
one primary-key lookup, far cheaper than rendering a listing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.store.db import Database

T = TypeVar("T")

# What anonymous pages show, and so what the triggers watch. Everything else is private to a reader or
# bookkeeping (tests/test_page_cache.py checks that every table is in one of the two lists).
WATCHED_TABLES = frozenset(
    {
        "papers",
        "feed_entries",
        "votes",
        "comments",
        "users",
        "collections",
        "collection_items",
        "submissions",
        "paper_vectors",
        "map_builds",
        "map_topics",
        "map_points",
    }
)
UNWATCHED_TABLES = frozenset(
    {
        "subscriptions",
        "outbox",
        "digest_papers",
        "ingest_jobs",
        "ratings",
        "follows",
        "library_items",
        "mail_throttle",
        "leases",
        "pacing",
        "comment_reports",
        "admin_actions",
        "web_sessions",
        "rate_limits",
        "instance_secrets",
        "data_version",
        "paper_authors",  # written in the same transaction as its paper, whose trigger counts
    }
)


class DataVersion(NamedTuple):
    version: int
    changed_at: float  # Unix time of the last change (0 before the first one): a page's Last-Modified


UNKNOWN = DataVersion(-1, 0.0)


def current_version(db: Database) -> DataVersion:
    """The committed version now; :data:`UNKNOWN` if its row is missing (then nothing may be cached).
    Raises the driver's error when the database is away (callers decide)."""
    with db.engine.connect() as connection:
        row = connection.execute(sa.text("SELECT version, changed_at FROM data_version WHERE id = 1")).first()
    return UNKNOWN if row is None else DataVersion(int(row[0]), float(row[1]))


def version_seen_by(session: Session) -> DataVersion:
    """The committed version as ``session`` first read it (:data:`UNKNOWN` when the row is missing).

    A node's own indexes (keyword, vectors) compare it with the version they were last brought up to date
    under: equal means nothing was committed since, and the freshness check, several round trips on
    PostgreSQL, is skipped. The time of the change is part of it: a database made again under the same URL
    (a test's, a restore's) counts from 1 again, at other moments. Read once per session: a search asks both
    indexes, some of them twice. So a session that writes and then searches keeps the version it first read
    and does not see its own writes in the indexes: searches run in their own sessions
    (:meth:`Database.read_session`)."""
    found = session.info.get(_SEEN)
    if found is None:
        row = session.execute(sa.text("SELECT version, changed_at FROM data_version WHERE id = 1")).first()
        found = session.info[_SEEN] = UNKNOWN if row is None else DataVersion(int(row[0]), float(row[1]))
    return found


_SEEN = "paperfeed.data_version"


def unchanged_since(version: DataVersion, mark: DataVersion | None) -> bool:
    """Nothing was committed between ``mark`` (a version read earlier, or None) and ``version``. A missing
    row (:data:`UNKNOWN`) proves nothing."""
    return version != UNKNOWN and version == mark


class VersionedCache(Generic[T]):
    """Values computed from the database (a listing's tallies, a page of papers), kept in the process until
    the data version moves: what every reader's page shares is computed once per change, not per view.

    The version is read before computing, so a change that lands meanwhile makes the next call recompute:
    a kept value is never older than the version it is filed under.
    """

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, Hashable], tuple[int, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, db: Database, key: Hashable, compute: Callable[[], T], *, version: int | None = None) -> T:
        """The kept value of ``key``, or ``compute()``'s. ``version``: one read by the caller for several
        values of one answer (it must have been read before any of them is computed)."""
        version = current_version(db).version if version is None else version
        if version == UNKNOWN.version:
            return compute()
        slot = (db.url, key)
        with self._lock:
            found = self._items.get(slot)
            if found is not None and found[0] == version:
                self._items.move_to_end(slot)
                return found[1]
        value = compute()
        with self._lock:
            self._items[slot] = (version, value)
            self._items.move_to_end(slot)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

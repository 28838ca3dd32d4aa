"""Rate limits kept in the database, so every worker of every node counts against the same numbers.

A sliding window, approximated the usual way from two fixed windows: the count of the current window plus
the previous window's count weighted by the share of it still inside the sliding window. One row per key
and window, changed by one upsert; a hit that would go over the limit is taken back in the same transaction,
so concurrent hits on any node can never let more through than the limit. (Why not a library: the
usual ones keep counters in Redis or in memory, and the database is the one thing all nodes share.)
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from paperfeed.store.db import Database
from paperfeed.store.models import RateLimitRow

CLEAN_EVERY_S = 300.0  # how often a process deletes windows nobody will look at again


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` events per ``seconds`` for one key."""

    count: int
    seconds: float


class SharedLimiter:
    """Limits by bucket name (``limits`` may be changed at run time, e.g. by tests)."""

    def __init__(
        self, db: Database, limits: dict[str, Limit], clock: Callable[[], float] = time.time
    ) -> None:
        self.db = db
        self.limits = dict(limits)
        self._clock = clock
        self._cleaned_at = 0.0
        self._clean_lock = threading.Lock()

    def hit(self, bucket: str, key: str) -> float | None:
        """Count one event if it is within the limit (None); else count nothing and return the seconds
        until one would be."""
        window = _Window(self.limits[bucket], self._clock())
        digest = _digest(key)
        with self.db.session() as session:
            self._clean(session, window.now)
            current = _increment(session, bucket, digest, window, 1)
            previous = _count(session, bucket, digest, window.index - 1)
            if window.estimate(previous, current) <= window.limit.count:
                return None
            _increment(session, bucket, digest, window, -1)
        return window.wait(previous, current - 1)

    def peek(self, bucket: str, key: str) -> float | None:
        """Would one more event be allowed? None if so, else the seconds to wait; counts nothing."""
        window = _Window(self.limits[bucket], self._clock())
        digest = _digest(key)
        with self.db.sessions() as session:
            previous = _count(session, bucket, digest, window.index - 1)
            current = _count(session, bucket, digest, window.index)
        if window.estimate(previous, current + 1) <= window.limit.count:
            return None
        return window.wait(previous, current)

    def record(self, bucket: str, key: str) -> None:
        """Count one event whatever the limit (a failed log-in, say, checked with :meth:`peek` first)."""
        window = _Window(self.limits[bucket], self._clock())
        with self.db.session() as session:
            _increment(session, bucket, _digest(key), window, 1)

    def _clean(self, session: Session, now: float) -> None:
        with self._clean_lock:
            if now - self._cleaned_at < CLEAN_EVERY_S:
                return
            self._cleaned_at = now
        session.execute(sa.delete(RateLimitRow).where(RateLimitRow.expires_at < _utc(now)))


class _Window:
    def __init__(self, limit: Limit, now: float) -> None:
        self.limit, self.now = limit, now
        self.index = int(now // limit.seconds)
        self.elapsed = (now - self.index * limit.seconds) / limit.seconds  # share of this window gone by

    def estimate(self, previous: int, current: int) -> float:
        return previous * (1 - self.elapsed) + current

    def wait(self, previous: int, current: int) -> float:
        """Seconds until ``estimate`` leaves room for one more event, with no new events meanwhile."""
        count, length = self.limit.count, self.limit.seconds
        if current + 1 <= count and previous:  # the previous window's weight fades enough in this one
            share = (1 - self.elapsed) - (count - current - 1) / previous
            return max(share * length, 0.1)
        rest_of_window = (1 - self.elapsed) * length  # then this window becomes the previous one
        share = max(0.0, 1 - (count - 1) / current) if current else 0.0
        return max(rest_of_window + share * length, 0.1)


def _increment(session: Session, bucket: str, digest: str, window: _Window, by: int) -> int:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    expires = _utc((window.index + 2) * window.limit.seconds)  # while it can still be the previous window
    statement = (
        insert(RateLimitRow)
        .values(
            bucket=bucket, key_hash=digest, window_index=window.index, count=max(by, 0), expires_at=expires
        )
        .on_conflict_do_update(
            index_elements=["bucket", "key_hash", "window_index"], set_={"count": RateLimitRow.count + by}
        )
        .returning(RateLimitRow.count)
    )
    return int(session.execute(statement).scalar_one())


def _count(session: Session, bucket: str, digest: str, index: int) -> int:
    return (
        session.scalar(
            sa.select(RateLimitRow.count).where(
                RateLimitRow.bucket == bucket,
                RateLimitRow.key_hash == digest,
                RateLimitRow.window_index == index,
            )
        )
        or 0
    )


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)

"""Reading a growing table in step without missing rows that commit late.

A node-local index follows a table by remembering the highest row id (or timestamp) it has read. That is
only safe if rows become visible in the order their ids are drawn. On SQLite they do: one writer at a time
holds the write lock from its first insert to its commit. On PostgreSQL they do not: a transaction draws id
100, another draws 101 and commits first, and a reader that saw 101 and moved its mark past it would never
read 100. PostgreSQL itself tells when that can no longer happen: a row's id was drawn after its
transaction began (``pg_stat_activity.xact_start``), so once every transaction that began before a moment
has ended, every id read before that moment is final. A transaction that has written nothing yet can only be
drawing ids in the statement it runs now, so long readers (a node loading its index, a map build) hold back
no one. :class:`IdHorizon` turns that into "read from here".

This assumes the sequence hands out ids in time order (``CACHE 1``, PostgreSQL's default and what the
migrations create) and one server clock (a primary). Sessions of other database roles show no
``xact_start`` unless the role may see them (``pg_read_all_stats``); they do not write paperfeed's tables.
A writer left idle inside its transaction holds the horizon back: rows above it are listed (ids only) again
by every read until it ends, which costs time but loses nothing.
"""

from __future__ import annotations

import time
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

# When the oldest transaction that may still make a row visible began. One that has written has an xid and
# may hold anything drawn since it began; one that has not may only be drawing in the statement it runs now
# (a row gets its transaction's xid as it is written): so a reader idling in a transaction, or between its
# statements, holds nothing back. Client sessions only: autovacuum runs for minutes and adds no row.
# pg_stat_activity is read once per transaction and then kept: the snapshot is cleared first, or a long
# transaction (a node loading its index) would look at the same moment for ever.
_CLOCK_AND_OLDEST_OPEN = sa.text(
    "WITH fresh AS MATERIALIZED (SELECT pg_stat_clear_snapshot()) "
    "SELECT clock_timestamp(), (SELECT min(CASE WHEN backend_xid IS NOT NULL THEN xact_start "
    "WHEN state = 'active' THEN query_start END) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend') "
    "FROM fresh"
)
PRIME_WAIT_S = 10.0  # how long a first read waits for statements under way to end before it starts


def oldest_open_transaction(session: Session) -> datetime | None:
    """PostgreSQL: when the oldest other transaction that may still make a row visible began writing (its
    rows may still commit); else None."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.execute(_CLOCK_AND_OLDEST_OPEN).one()[1]


class IdHorizon:
    """Where the next read of a table must start so that no row committing late is skipped.

    Call :meth:`before_read`, read every row with an id above what it returns, then :meth:`after_read` with
    the highest id seen. ``safe`` only moves past an id once no transaction that could still hold a lower
    one is open; rows above ``safe`` are read again by later reads, so the caller skips those it has.
    """

    def __init__(self, safe: int = 0) -> None:
        self.safe = safe  # every row with an id up to here that will ever be visible has been read
        self._highest_read = safe
        self._marks: list[tuple[datetime, int]] = []  # (a moment after a read, the highest id it saw)
        self._next_safe = safe  # what ``safe`` becomes after the next read; -1 on SQLite (the read's top)

    def before_read(self, session: Session) -> int:
        if session.get_bind().dialect.name != "postgresql":
            self._next_safe = -1  # one writer at a time: what is read is final
            return self.safe
        now, oldest = session.execute(_CLOCK_AND_OLDEST_OPEN).one()
        if not self._marks or self._marks[-1][1] < self._highest_read:
            self._marks.append((now, self._highest_read))  # ``now`` comes after the read that saw it
        # An id at most M read before moment t was drawn before t, by a transaction begun before t. If every
        # open transaction began after t (or none is open), that one has ended and the read below sees it.
        bound = now if oldest is None else min(oldest, now)
        usable = [highest for moment, highest in self._marks if moment < bound]
        self._marks = [(moment, highest) for moment, highest in self._marks if moment >= bound]
        self._next_safe = max([self._next_safe, self.safe, *usable])  # kept until a read makes it safe
        return self.safe

    def after_read(self, highest_seen: int) -> None:
        self._highest_read = max(self._highest_read, highest_seen)
        self.safe = self._highest_read if self._next_safe < 0 else self._next_safe

    def prime(self, session: Session, highest_now: int) -> None:
        """Before a long first read (a whole table): the table's current highest id, then horizon checks until
        no statement or writer older than that look is still under way (at most ``PRIME_WAIT_S``), so that
        the read ends with ``safe`` at that id. Otherwise ``safe`` stays lower and the rows above it are
        looked at again by later reads: slower, never wrong."""
        self._highest_read = max(self._highest_read, highest_now)
        if session.get_bind().dialect.name != "postgresql":
            return
        self.before_read(session)
        deadline = time.monotonic() + PRIME_WAIT_S
        while True:
            self.before_read(session)
            if self._next_safe >= highest_now or time.monotonic() > deadline:
                return
            time.sleep(0.05)

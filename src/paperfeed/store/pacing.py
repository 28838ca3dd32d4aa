"""The politeness limiter every process and node shares: one request per interval to a source, in total.

A row per source holds ``next_at``, the earliest moment the next request may start. Taking a turn is one
statement, an upsert that moves ``next_at`` to ``max(next_at, now) + interval`` and returns it, so the
caller's slot is ``returned - interval``. The database serialises the statement (SQLite's write lock, the
row lock on PostgreSQL, which re-reads the row a concurrent writer just changed), so no two callers ever
get the same slot, whichever process or node they run in. Callers then sleep until their slot.

Times are Unix seconds from each process's wall clock: nodes must keep their clocks in step (NTP), which a
server talking to arXiv does anyway. A process that reserves a slot and dies only wastes that slot.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from paperfeed.store.db import Database
from paperfeed.store.models import PacingRow

ARXIV = "arxiv"  # one budget for every arXiv endpoint (API, OAI-PMH): its terms count requests, not URLs
# Added to every interval: between waking up in its slot and the request reaching the server, a busy process
# loses some milliseconds (a new connection, the GIL), and two such delays must not eat into the interval
# the server sees. Measured: up to ~50 ms on 2 loaded cores (tests/test_submissions.py); 3% of arXiv's 3 s.
SEND_MARGIN_S = 0.1


def reserve_slot(db: Database, name: str, interval_s: float, *, now: float | None = None) -> float:
    """Reserve the next free slot of ``name``; returns when (Unix seconds) our request may start."""
    now = time.time() if now is None else now
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    later = sa.case((PacingRow.next_at > now, PacingRow.next_at), else_=sa.literal(now, sa.Float))
    statement = (
        insert(PacingRow).values(name=name, next_at=now + interval_s)
        .on_conflict_do_update(index_elements=["name"], set_={"next_at": later + interval_s})
        .returning(PacingRow.next_at)
    )
    with db.session() as session:
        next_at = session.execute(statement).scalar_one()
    return float(next_at) - interval_s


def wait_turn(
    db: Database, name: str, interval_s: float, *, sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Block until it is our turn to send one request to ``name``; returns the slot we got."""
    slot = reserve_slot(db, name, interval_s + SEND_MARGIN_S if interval_s > 0 else 0.0)
    delay = slot - time.time()
    if delay > 0:
        sleep(delay)
    return slot

"""The politeness limiter every process and node shares: one request at a time to a source, and at least
an interval between the end of one and the start of the next, in total.

Spacing the *starts* of requests is not enough: a sender delayed after its turn (a busy CPU, a new
connection) would arrive right before the next one, and a slow answer would overlap the next request
(arXiv also asks for one connection at a time). So a turn is a lease in the database (``store/leases``):
whoever holds it sends one request; on leaving, the holder writes ``next_at`` = now + interval into the
``pacing`` row, and the next holder waits for that moment before it sends. Every request therefore reaches
the source at least an interval after the previous one was answered, whichever process or node sent it.
A holder that dies mid-request holds nobody up for long: its lease runs out after ``hold_s``.

``next_at`` is Unix seconds from each process's wall clock: nodes must keep their clocks in step (NTP).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.dialects import postgresql, sqlite

from paperfeed.store.db import Database
from paperfeed.store.leases import acquire, holder_name, release
from paperfeed.store.models import PacingRow

ARXIV = "arxiv"  # one budget for every arXiv endpoint (API, OAI-PMH): its terms count requests, not URLs
POLL_S = 0.1  # how often a waiting sender asks whether the turn is free while a request is in flight


@contextmanager
def turn(
    db: Database,
    name: str,
    interval_s: float,
    *,
    hold_s: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the one turn to send a request to ``name`` for the body of the ``with`` block.

    ``hold_s`` bounds how long a holder that died keeps everyone waiting: make it longer than a request.
    """
    holder = f"{holder_name()}:{secrets.token_hex(4)}"
    lease = f"pacing:{name}"
    while True:
        early = next_at(db, name) - time.time()
        if early > 0:  # nobody may send yet: no need to ask for the lease before then
            sleep(early)
        if acquire(db, lease, holder, timedelta(seconds=hold_s)):
            break
        sleep(POLL_S)
    try:
        early = next_at(db, name) - time.time()  # set by the previous holder as it left: final now
        if early > 0:
            sleep(early)
        yield
    finally:
        _set_next_at(db, name, time.time() + interval_s)
        release(db, lease, holder)


def next_at(db: Database, name: str) -> float:
    """The earliest moment (Unix seconds) the next request to ``name`` may start."""
    with db.sessions() as session:
        row = session.get(PacingRow, name)
        return row.next_at if row is not None else 0.0


def _set_next_at(db: Database, name: str, when: float) -> None:
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    statement = insert(PacingRow).values(name=name, next_at=when)
    with db.session() as session:
        session.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"next_at": when}))

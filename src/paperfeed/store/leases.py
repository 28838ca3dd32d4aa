"""Leases in the database: "only one of us does this now", for processes that share nothing but the database.

``acquire`` is one statement (insert, or take over a lease that expired or that we already hold), so two
nodes racing for it cannot both win on either backend. A holder renews while it works; if it dies, the
lease runs out and the next caller takes over, so a crash never blocks the work for good.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from paperfeed.store.db import Database
from paperfeed.store.models import LeaseRow


def holder_name() -> str:
    """Who we are, readable in `paperfeed jobs` and the admin page: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def acquire(db: Database, name: str, holder: str, ttl: timedelta, *, now: datetime | None = None) -> bool:
    """Take the lease ``name`` for ``ttl`` if it is free, expired or already ours; True if we hold it now."""
    now = now or datetime.now(UTC)
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    values = insert(LeaseRow).values(name=name, holder=holder, acquired_at=now, expires_at=now + ttl)
    statement = values.on_conflict_do_update(
        index_elements=["name"],
        set_={"holder": holder, "acquired_at": now, "expires_at": now + ttl},
        where=(LeaseRow.expires_at < now) | (LeaseRow.holder == holder),
    ).returning(LeaseRow.holder)
    with db.session() as session:
        return session.execute(statement).first() is not None


def renew(db: Database, name: str, holder: str, ttl: timedelta) -> bool:
    """Extend our lease; False if it is no longer ours (it expired and someone else took it)."""
    now = datetime.now(UTC)
    with db.session() as session:
        return (
            session.execute(
                sa.update(LeaseRow)
                .where(LeaseRow.name == name, LeaseRow.holder == holder)
                .values(expires_at=now + ttl)
                .returning(LeaseRow.name)
            ).first()
            is not None
        )


def release(db: Database, name: str, holder: str) -> None:
    with db.session() as session:
        session.execute(sa.delete(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder))


def current_holder(db: Database, name: str) -> tuple[str, datetime] | None:
    """Who holds ``name`` and until when, if anyone does (an expired lease counts as free)."""
    with db.sessions() as session:
        row = session.get(LeaseRow, name)
        if row is None or row.expires_at < datetime.now(UTC):
            return None
        return row.holder, row.expires_at

"""Server-side log-in sessions: the browser holds a random id, the database the SHA-256 of it.

A session is valid while its row exists and has not expired, on whichever node the request lands, so
logging out (or revoking every session of a user) takes effect everywhere at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa

from paperfeed.store.db import Database
from paperfeed.store.models import UserRow, WebSessionRow

LIFETIME = timedelta(days=14)  # idle time after which a session ends; using it extends it


def create(db: Database, user_id: int, *, now: datetime | None = None) -> str:
    """A new session of ``user_id``; returns the id for the cookie (it exists nowhere else in clear)."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    with db.session() as session:
        session.execute(sa.delete(WebSessionRow).where(WebSessionRow.expires_at < now))  # tidy as we go
        session.add(
            WebSessionRow(id_hash=_digest(token), user_id=user_id, created_at=now, expires_at=now + LIFETIME)
        )
    return token


# Read on every signed-in request, so built once and run on a plain connection: building the statements and
# loading the rows through an ORM session took longer than the rest of a kept listing's database reads.
_OWNER = (
    sa.select(WebSessionRow.expires_at, UserRow.id, UserRow.username, UserRow.email, UserRow.is_admin)
    .join(UserRow, UserRow.id == WebSessionRow.user_id)
    .where(WebSessionRow.id_hash == sa.bindparam("digest"), ~UserRow.disabled)
)


def owner_of(
    db: Database, token: str, *, now: datetime | None = None
) -> sa.Row[datetime, int, str, str | None, bool] | None:
    """The session's user (``id``, ``username``, ``email``, ``is_admin``) while the session is valid and the
    account not disabled. A session in its second week is extended (one write a week per active session,
    not one per request)."""
    now = now or datetime.now(UTC)
    digest = _digest(token)
    with db.engine.connect() as connection:
        row = connection.execute(_OWNER, {"digest": digest}).first()
    if row is None or row.expires_at <= now:
        return None
    if row.expires_at - now < LIFETIME / 2:
        with db.session() as session:
            session.execute(
                sa.update(WebSessionRow)
                .where(WebSessionRow.id_hash == digest)
                .values(expires_at=now + LIFETIME)
            )
    return row


def delete(db: Database, token: str) -> None:
    with db.session() as session:
        session.execute(sa.delete(WebSessionRow).where(WebSessionRow.id_hash == _digest(token)))


def delete_all(db: Database, user_id: int) -> int:
    """End every session of ``user_id``; returns how many there were."""
    with db.session() as session:
        result = cast(
            sa.CursorResult[Any],
            session.execute(sa.delete(WebSessionRow).where(WebSessionRow.user_id == user_id)),
        )
        return int(result.rowcount)


def count(db: Database, user_id: int, *, now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    with db.sessions() as session:
        return (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(WebSessionRow)
                .where(WebSessionRow.user_id == user_id, WebSessionRow.expires_at > now)
            )
            or 0
        )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()

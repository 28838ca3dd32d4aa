"""Values every process of an installation must share, kept in its database: the signing key.

A key per node breaks everything signed on one node and checked on another (sessions, CSRF tokens, e-mail
links), so the key lives where every node looks: the first process to need it stores one (insert if
absent), all others read that one. An install that kept its key in ``$PAPERFEED_HOME/secret.key`` before
has that key adopted, so links in e-mails already sent keep working.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from paperfeed.store.db import Database
from paperfeed.store.models import InstanceSecretRow

SIGNING_KEY = "signing_key"
_known: dict[str, str] = {}  # URL -> key: it never changes once made, so each process asks once
_lock = threading.Lock()


def signing_key(db: Database, legacy_file: Path | None = None) -> str:
    """The installation's signing key, made (or adopted from ``legacy_file``) by the first caller."""
    url = str(db.engine.url)
    with _lock:
        if url not in _known:
            _known[url] = _stored_or_new(db, _legacy_key(legacy_file))
        return _known[url]


def signing_key_for_url(url: str, legacy_file: Path | None = None) -> str:
    """:func:`signing_key` for code that holds settings but no open database (mail tokens, the CLI)."""
    with _lock:
        if url in _known:
            return _known[url]
    db = Database(url, pool_size=1, max_overflow=0)
    try:
        return signing_key(db, legacy_file)
    finally:
        db.dispose()


def forget_signing_key(db: Database) -> None:
    """Ask the database again next time: a restore replaced the key this process remembers."""
    with _lock:
        for url in (db.url, str(db.engine.url)):  # the latter is how `signing_key` files it
            _known.pop(url, None)


def _stored_or_new(db: Database, candidate: str | None) -> str:
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    statement = (
        insert(InstanceSecretRow)
        .values(name=SIGNING_KEY, value=candidate or secrets.token_urlsafe(48), created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["name"])
    )
    try:
        with db.session() as session:
            session.execute(statement)
            return session.scalars(
                sa.select(InstanceSecretRow.value).where(InstanceSecretRow.name == SIGNING_KEY)
            ).one()
    except sa.exc.ProgrammingError as error:  # PostgreSQL: the table is not there
        raise RuntimeError("the database has no schema yet: run `paperfeed migrate` first") from error
    except sa.exc.OperationalError as error:
        if "no such table" in str(error):  # SQLite's way of saying the same
            raise RuntimeError("the database has no schema yet: run `paperfeed migrate` first") from error
        raise


def _legacy_key(path: Path | None) -> str | None:
    if path is None or not path.exists():
        return None
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to have a new one made")
    return key

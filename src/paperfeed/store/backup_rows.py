"""Rows of every table as backend-neutral JSON values, and back: what ``paperfeed backup`` reads and writes.

The tables are not listed by hand: every table declared in :mod:`paperfeed.store.models` is backed up, in
foreign-key order (``Base.metadata.sorted_tables``), except the few in :data:`SKIPPED`, each with its reason.
A table another change adds to the models is therefore in the next backup without anyone remembering to add
it, and ``tests/test_backup.py`` fails if a table of a migrated database is neither backed up, skipped here,
nor derived from the others (full-text tables, Alembic's own).

Values go through the column's declared type, never the driver's: a timestamp is an ISO string with its
offset, a day an ISO date, bytes base64, a JSON column its JSON value. So a row read from SQLite is written to
PostgreSQL (and back) exactly, and a column type this module does not know stops the backup with its name
instead of writing something that would not come back the same.

The vectors table is the exception to "declared in the models": it is a pgvector column on PostgreSQL and a
float32 blob on SQLite (see :mod:`paperfeed.store.vectors`), so it has its own reader and writer here, and in
the file a vector is always its float32 bytes — the same on both backends.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from paperfeed.store.models import Base, UtcDateTime
from paperfeed.store.vectors import from_pgvector, to_pgvector

# Deliberately left out of every backup, and why. Everything else in the models is in it.
SKIPPED: dict[str, str] = {
    "web_sessions": "log-ins are security state: restoring them could revive a session revoked after the "
    "backup was made; everyone simply logs in again",
    "rate_limits": "counters of the last minutes of the old instance",
    "mail_throttle": "counters of the last hours of the old instance",
    "leases": "held by processes of the old instance; restored, they would stop the new one's sync and "
    "embedder until they expired",
    "pacing": "the old instance's place in arXiv's queue",
    "data_version": "a counter the database's triggers keep (store/data_version.py): the restore's own "
    "writes move it, so every page cache of the new instance starts afresh",
}
# A migrated database already holds rows of these (`paperfeed migrate` makes the signing key); the backup's
# rows replace them. Keeping the old signing key is the point of a move to a new database: links in e-mails
# already sent (unsubscribe, confirm) keep working. (API and feed tokens are stored as hashes in `users`.)
REPLACED = frozenset({"instance_secrets"})
VECTORS = "paper_vectors"
# Derived from the backed-up tables by the database itself (triggers, generated columns) or Alembic's own.
DERIVED_PREFIXES = ("papers_fts", "alembic_version", "sqlite_")

_VECTOR_COLUMNS = ("id", "paper_id", "model", "content_hash", "vector", "created_at")


class UnsupportedColumn(TypeError):
    """A column whose type has no exact JSON form here yet: extend :func:`column_kind` (and its test)."""


def backed_up_tables() -> list[sa.Table]:
    """Every declared table but :data:`SKIPPED`, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in SKIPPED]


def column_kind(type_: sa.types.TypeEngine[Any]) -> str:
    """How a column's values are written: ``datetime``, ``date``, ``bytes``, ``json`` or ``plain``.

    Decided by the Python type the column hands out, not by its storage: ``Interval`` is stored as a
    timestamp but holds a ``timedelta``, ``Numeric`` a ``Decimal`` that JSON would turn into a float."""
    if isinstance(type_.impl_instance if isinstance(type_, sa.TypeDecorator) else type_, sa.JSON):
        return "json"
    python = _python_type(type_)
    kind = _KINDS.get(python) if python is not None else None
    if kind is None:
        raise UnsupportedColumn(f"a column of type {type_!r} has no backup format yet")
    return kind


def _python_type(type_: sa.types.TypeEngine[Any]) -> type | None:
    """What the column hands out; a decorator that does not say (``UtcDateTime``) hands out its impl's."""
    try:
        python: type | None = type_.python_type
    except NotImplementedError:
        python = None
    if python in (None, object) and isinstance(type_, sa.TypeDecorator):
        return _python_type(type_.impl_instance)
    return python


_KINDS: dict[type, str] = {
    datetime: "datetime",
    date: "date",
    bytes: "bytes",
    int: "plain",
    float: "plain",
    str: "plain",
    bool: "plain",
}


@dataclass(frozen=True)
class TableCodec:
    """One table's columns and how each value is written to and read from the file."""

    name: str
    columns: tuple[str, ...]
    kinds: tuple[str, ...]

    def encode(self, row: Sequence[Any]) -> list[Any]:
        return [_encode(kind, value) for kind, value in zip(self.kinds, row, strict=True)]

    def decode(self, values: Sequence[Any]) -> dict[str, Any]:
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for the {len(self.columns)} columns of {self.name}")
        return {
            column: _decode(kind, value)
            for column, kind, value in zip(self.columns, self.kinds, values, strict=True)
        }


def codec(table: sa.Table) -> TableCodec:
    return TableCodec(
        table.name, tuple(c.name for c in table.columns), tuple(column_kind(c.type) for c in table.columns)
    )


VECTOR_CODEC = TableCodec(VECTORS, _VECTOR_COLUMNS, ("plain", "plain", "plain", "plain", "bytes", "datetime"))


def _encode(kind: str, value: Any) -> Any:
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "bytes":
        return base64.b64encode(value).decode("ascii")
    return value.isoformat()  # datetime, date


def _decode(kind: str, value: Any) -> Any:
    if value is None or kind in ("plain", "json"):
        return value
    if kind == "bytes":
        return base64.b64decode(value, validate=True)
    if kind == "datetime":
        return datetime.fromisoformat(value)
    return date.fromisoformat(value)


# --- reading ----------------------------------------------------------------------------------------------


def count_rows(connection: sa.Connection, name: str) -> int:
    return int(connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one())


def read_rows(connection: sa.Connection, table: sa.Table, *, batch: int) -> Iterator[Sequence[Any]]:
    """The table's rows in primary-key order, ``batch`` at a time from a server-side cursor (PostgreSQL) or
    SQLite's stepping: never the whole table in memory."""
    query = sa.select(table).order_by(*table.primary_key.columns).execution_options(yield_per=batch)
    yield from connection.execute(query)


def read_vectors(connection: sa.Connection, *, batch: int) -> Iterator[Sequence[Any]]:
    """The vectors table's rows, each vector as float32 bytes whatever the backend keeps."""
    sqlite = connection.dialect.name == "sqlite"
    query = (
        sa.text(
            "SELECT id, paper_id, model, content_hash, "
            f"{'vector' if sqlite else 'vector::text'} AS vector, created_at FROM paper_vectors ORDER BY id"
        )
        .columns(created_at=UtcDateTime())
        .execution_options(yield_per=batch)
    )
    for row in connection.execute(query):
        vector = row.vector if sqlite else from_pgvector(row.vector).tobytes()
        yield (row.id, row.paper_id, row.model, row.content_hash, bytes(vector), row.created_at)


# --- writing ----------------------------------------------------------------------------------------------


def insert_rows(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    connection.execute(table.insert(), rows)


def insert_vectors(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Vectors into either backend: the blob as it is (SQLite), or pgvector's text form (PostgreSQL)."""
    sqlite = connection.dialect.name == "sqlite"
    value = ":vector" if sqlite else "CAST(:vector AS vector)"
    statement = sa.text(
        "INSERT INTO paper_vectors (id, paper_id, model, content_hash, vector, created_at) "
        f"VALUES (:id, :paper_id, :model, :content_hash, {value}, :created_at)"
    ).bindparams(sa.bindparam("created_at", type_=UtcDateTime()))
    if not sqlite:
        rows = [r | {"vector": to_pgvector(np.frombuffer(r["vector"], dtype=np.float32))} for r in rows]
    connection.execute(statement, rows)


def drop_vector_graphs(connection: sa.Connection) -> list[str]:
    """PostgreSQL: drop the HNSW indexes of the vectors table and return their definitions.

    Inserting into an HNSW index costs a graph search per row (1.6 ms a vector on two cores, half an hour
    at a million); building it once after the rows are in is several times faster. Read from the catalogue
    rather than copied from the migration, so a tuned index comes back as it was. Inside the restore's
    transaction: a failed restore gets the index back with the rollback."""
    if connection.dialect.name != "postgresql":
        return []
    found = connection.execute(
        sa.text(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = :table AND indexdef ILIKE '% USING hnsw %'"
        ),
        {"table": VECTORS},
    ).all()
    for name, _ in found:
        connection.execute(sa.text(f'DROP INDEX "{name}"'))
    return [definition for _, definition in found]


def create_indexes(connection: sa.Connection, definitions: Sequence[str]) -> None:
    """Recreate what :func:`drop_vector_graphs` dropped, with room to build the graph in memory."""
    if definitions:
        connection.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
        # The data-version triggers are deferred to the commit (migration 0016), and PostgreSQL builds no
        # index on a table with trigger events pending: run them now.
        connection.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
    for definition in definitions:
        connection.execute(sa.text(definition))


def clear_replaced(connection: sa.Connection) -> None:
    """Remove what a fresh database made for itself and the backup brings instead (the signing key)."""
    for name in sorted(REPLACED):
        connection.execute(Base.metadata.tables[name].delete())


def non_empty_tables(connection: sa.Connection, *, vectors: bool = True) -> dict[str, int]:
    """Tables a restore would write to that already hold rows (name -> count)."""
    names = [t.name for t in backed_up_tables() if t.name not in REPLACED]
    if vectors:
        names.append(VECTORS)
    counts = {name: count_rows(connection, name) for name in names}
    return {name: n for name, n in counts.items() if n}


def reset_sequences(connection: sa.Connection, names: Sequence[str]) -> None:
    """PostgreSQL: move every serial/identity sequence past the restored ids, so the next vote or comment
    gets a fresh id instead of colliding with a restored one. (SQLite takes max(rowid) + 1 by itself, and
    its AUTOINCREMENT counter follows explicit ids.)"""
    if connection.dialect.name != "postgresql":
        return
    for name in names:
        column = _serial_column(name)
        if column is None:
            continue
        connection.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), coalesce(max({column}), 1), "
                f"max({column}) IS NOT NULL) FROM {name}"
            ),
            {"table": name, "column": column},
        )


def _serial_column(name: str) -> str | None:
    """The column a table's id sequence feeds, if it has one (not ``papers``, keyed by arXiv id)."""
    if name == VECTORS:
        return "id"
    table = Base.metadata.tables.get(name)
    column = None if table is None else table.autoincrement_column
    return None if column is None else column.name

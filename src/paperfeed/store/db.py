"""One engine and one session factory per database URL; schema upgrades through Alembic.

SQLite gets WAL, a busy timeout and enforced foreign keys, so that the embedded default behaves under
concurrent web requests the way PostgreSQL does. PostgreSQL's pool size is a setting: every process of
every node holds its own pool, and together they must stay under the server's ``max_connections``.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any fixed number: the PostgreSQL advisory lock that lets one `paperfeed migrate` at a time go ahead.
MIGRATION_LOCK = 0x7061706572  # "paper"


class Database:
    """The storage backend chosen by a URL: ``sqlite:///path`` or ``postgresql+psycopg://…``."""

    def __init__(
        self, url: str, *, echo: bool = False, pool_size: int | None = None, max_overflow: int | None = None
    ) -> None:
        self.url = url
        self.engine = _create_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``: the search layer picks its index implementation by this."""
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        with self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """Reads that need no transaction around them (a search): each statement runs on its own, without
        the BEGIN and COMMIT that cost a round trip each on PostgreSQL (a hybrid search opens three sessions:
        six round trips, ~4 ms of its 32 at a million papers). Nothing may be written in it."""
        with self._read_sessions() as session:
            yield session

    def migrate(self) -> str | None:
        """Bring the schema to the newest revision; idempotent, and safe when several processes (or nodes)
        run it at once: they take turns behind a lock, and all but the first find nothing left to do.
        Returns the revision the database was at when its turn came (None: an empty database).

        PostgreSQL: a transaction-scoped advisory lock, released by the commit that ends the upgrade.
        SQLite: an exclusive ``flock`` on a file next to the database (one machine by definition).
        """
        with self._migration_file_lock(), self.engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            before = MigrationContext.configure(connection).get_current_revision()
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return before

    def schema_revision(self) -> str | None:
        """The revision the database is at (None: never migrated). Raises if the database is unreachable."""
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def schema_is_current(self) -> bool:
        return self.schema_revision() == head_revision()

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _migration_file_lock(self) -> Iterator[None]:
        path = sa.engine.make_url(self.url).database if self.is_sqlite else None
        if not path or path == ":memory:":
            yield
            return
        with open(f"{path}.migrate-lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed, also if we are killed
            yield


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def head_revision() -> str | None:
    """The newest revision this code knows: what ``paperfeed migrate`` brings a database to."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _create_engine(url: str, *, echo: bool, pool_size: int | None, max_overflow: int | None) -> sa.Engine:
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # A page runs a dozen short queries from a pool of worker threads: keep enough connections open that
        # busy moments do not open and close one (and run its pragmas) per query.
        engine = sa.create_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=20,
            max_overflow=20,
        )
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if pool_size is None or max_overflow is None:
        from paperfeed.config import get_settings

        settings = get_settings()
        pool_size = settings.db_pool_size if pool_size is None else pool_size
        max_overflow = settings.db_max_overflow if max_overflow is None else max_overflow
    return sa.create_engine(
        url, echo=echo, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow
    )


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()

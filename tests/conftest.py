"""Shared fixtures: every storage test runs on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperfeed.store import Database
from tests.support import pg
from tests.support.smtp import SmtpServer, running_smtp

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# PostgreSQL test databases keep their node-local search indexes here, not under the real $PAPERFEED_HOME
os.environ.setdefault("PAPERFEED_INDEX_DIR", tempfile.mkdtemp(prefix="paperfeed-test-index-"))
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pg.PgServer]:
    server = pg.start(tmp_path_factory.mktemp("pg") / "data")
    try:
        yield server
    finally:
        pg.stop(server)


def _fresh_pg_database(server: pg.PgServer) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'paperfeed.sqlite3'}"
    return _fresh_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database on each backend."""
    database = Database(db_url)
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database, for tests about behaviour that does not depend on the backend."""
    database = Database(f"sqlite:///{tmp_path / 'paperfeed.sqlite3'}")
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()


# --- Browser tests (INFRA.md §2): Debian's chromium driven by Playwright; never `playwright install`.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives."""
    yield from running_smtp()

"""Shared fixtures: every storage test runs on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfeed.store import Database
from tests.support import pg
from tests.support.corpus import Corpus, fill, load_corpus
from tests.support.smtp import SmtpServer, running_smtp

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# PostgreSQL test databases keep their node-local search indexes here, not under the real $PAPERFEED_HOME
os.environ.setdefault("PAPERFEED_INDEX_DIR", tempfile.mkdtemp(prefix="paperfeed-test-index-"))


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pg.PgServer]:
    server = pg.start(tmp_path_factory.mktemp("pg") / "data")
    try:
        yield server
    finally:
        pg.stop(server)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'paperfeed.sqlite3'}"
    return pg.fresh_database(request.getfixturevalue("pg_server"))


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


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """Every 17th paper of the bundled sample (~200, spread over its days) and their bundled vectors."""
    return load_corpus(tmp_path_factory.mktemp("vectors"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def search_db(request: pytest.FixtureRequest, corpus: Corpus, tmp_path_factory) -> Iterator[Database]:
    """A database per backend holding the corpus, shared by the read-only tests of a module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'search.sqlite3'}"
    else:
        url = pg.fresh_database(request.getfixturevalue("pg_server"), prefix="s")
    database = fill(Database(url), corpus)
    yield database
    database.dispose()


# --- Browser tests (INFRA.md §2): Debian's chromium driven by Playwright; never `playwright install`.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives."""
    yield from running_smtp()

"""Pages that hold a crowd: anonymous answers kept until the data changes, on every node; ETags and 304s."""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from paperfeed.domain.paper import Paper
from paperfeed.services import accounts, community
from paperfeed.store import Database
from paperfeed.store.data_version import UNWATCHED_TABLES, WATCHED_TABLES, current_version
from paperfeed.store.models import SEARCH_OWNED, Base, PaperRow
from paperfeed.store.papers import upsert_papers
from paperfeed.web.app import create_app
from tests.support.live_server import add_paper, sign_up, test_app

DAY = date(2026, 7, 1)


@pytest.fixture
def site(db: Database, tmp_path: Path) -> Iterator[tuple[Database, TestClient]]:
    add_paper(db, "2607.00001", "Cached attention", DAY)
    add_paper(db, "2607.00002", "Fresh diffusion", DAY)
    with TestClient(test_app(db, tmp_path)) as client:
        yield db, client


def upvotes_shown(html: str, paper_id: str) -> str:
    start = html.index(f'data-paper="{paper_id}"')
    return html[start : start + 1500]


def test_every_table_is_watched_or_deliberately_not() -> None:
    tables = set(Base.metadata.tables) | set(SEARCH_OWNED["table"]) - {"papers_fts"}
    assert WATCHED_TABLES.isdisjoint(UNWATCHED_TABLES)
    assert tables == WATCHED_TABLES | UNWATCHED_TABLES


def test_version_grows_with_each_committed_change_and_not_with_a_rolled_back_one(db: Database) -> None:
    before = current_version(db).version
    add_paper(db, "2607.00009", "Versioned", DAY)
    after_insert = current_version(db)
    assert after_insert.version > before and after_insert.changed_at > 0
    with pytest.raises(RuntimeError), db.session() as session:
        upsert_papers(session, [Paper("2607.00010", "Never committed")])
        raise RuntimeError("roll back")
    assert current_version(db).version == after_insert.version
    user = accounts.sign_up(db, "ada", "a long enough password")
    assert current_version(db).version > after_insert.version
    voted = current_version(db).version
    community.upvote(db, user.id, "2607.00009")
    assert current_version(db).version > voted


def test_private_tables_do_not_move_the_version(db: Database) -> None:
    user = accounts.sign_up(db, "ada", "a long enough password")
    before = current_version(db).version
    accounts.start_session(db, user)  # a log-in: no page an anonymous visitor sees changes
    assert current_version(db).version == before


def test_overlapping_writers_do_not_deadlock_on_the_version_row(db: Database) -> None:
    """The first writer changes A, the second B, then the first B too. Were the version row taken at the
    first change, the second would wait for it holding B while the first waits for B: a deadlock. It is
    taken at commit, so the second commits and the first goes on."""
    add_paper(db, "2607.00001", "A", DAY)
    add_paper(db, "2607.00002", "B", DAY)
    second_wrote_b = threading.Event()
    errors: list[BaseException] = []

    def retitle(session: sa.orm.Session, paper_id: str, title: str) -> None:
        session.execute(sa.update(PaperRow).where(PaperRow.id == paper_id).values(title=title))

    def first() -> None:
        try:
            with db.session() as session:
                retitle(session, "2607.00001", "A by the first")
                second_wrote_b.wait(timeout=3)
                retitle(session, "2607.00002", "B by the first")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    def second() -> None:
        time.sleep(0.3)
        try:
            with db.session() as session:
                retitle(session, "2607.00002", "B by the second")
                second_wrote_b.set()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    with db.sessions() as session:  # SQLite has one writer at a time: there, the second waits its turn
        assert session.get(PaperRow, "2607.00002").title.startswith("B by the")  # type: ignore[union-attr]


def test_anonymous_page_is_served_from_the_cache_until_the_data_changes(
    site: tuple[Database, TestClient],
) -> None:
    db, client = site
    first = client.get("/")
    second = client.get("/")
    assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
    assert first.content == second.content and first.headers["etag"] == second.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache" and "Cookie" in first.headers["vary"]
    user = accounts.sign_up(db, "ada", "a long enough password")
    community.upvote(db, user.id, "2607.00002")  # another node, a script: anything that writes
    third = client.get("/")
    assert third.headers["x-cache"] == "miss"
    assert third.headers["etag"] != first.headers["etag"]
    assert third.text.index("2607.00002") < third.text.index("2607.00001")  # the vote shows at once


def test_a_change_through_another_node_reaches_this_nodes_cache(db: Database, tmp_path: Path) -> None:
    add_paper(db, "2607.00001", "Cached attention", DAY)
    node_a = TestClient(test_app(db, tmp_path / "a"))
    node_b = TestClient(test_app(db, tmp_path / "b"))
    with node_a, node_b:
        node_a.get("/papers/2607.00001")
        assert node_a.get("/papers/2607.00001").headers["x-cache"] == "hit"
        csrf = sign_up(node_b, "ada")
        posted = node_b.post("/papers/2607.00001/comments", data={"body": "Seen on B", "csrf_token": csrf})
        assert posted.status_code in (200, 303)
        page = node_a.get("/papers/2607.00001")
        assert page.headers["x-cache"] == "miss" and "Seen on B" in page.text


def test_if_none_match_gets_304_without_a_body(site: tuple[Database, TestClient]) -> None:
    _, client = site
    for path in ("/", "/api/daily_papers", "/papers/date/2026-07-01/rss", "/papers/2607.00001"):
        first = client.get(path)
        assert first.status_code == 200, path
        again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b"", path
        assert again.headers["etag"] == first.headers["etag"]
        since = client.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})
        assert since.status_code == 304, path
        stale = client.get(path, headers={"If-None-Match": '"not-these-bytes"'})
        assert stale.status_code == 200 and stale.content == first.content


def test_signed_in_pages_are_never_served_from_the_shared_cache_but_get_etags(
    site: tuple[Database, TestClient],
) -> None:
    _, client = site
    client.get("/")  # an anonymous copy is kept
    sign_up(client, "ada")
    page = client.get("/")
    assert "x-cache" not in page.headers and "Log out" in page.text
    assert page.headers["cache-control"] == "private, no-cache"
    again = client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304


def test_what_must_not_be_kept_is_not(site: tuple[Database, TestClient]) -> None:
    _, client = site
    assert "x-cache" not in client.get("/login").headers  # not on the allow-list
    assert "x-cache" not in client.get("/confirm/not-a-token").headers  # a GET that changes state
    assert "x-cache" not in client.get("/api/daily_papers", headers={"Authorization": "Bearer x"}).headers
    missing = client.get("/papers/2699.99999")
    assert missing.status_code == 404
    assert client.get("/papers/2699.99999").headers.get("x-cache") == "miss"  # errors are not kept


def test_the_setting_turns_the_cache_off(db: Database, tmp_path: Path) -> None:
    from paperfeed.config import Settings

    add_paper(db, "2607.00001", "Cached attention", DAY)
    settings = Settings(home=tmp_path, secret_key="test-secret-key-not-for-production", page_cache=False)
    with TestClient(create_app(settings, db)) as client:
        client.get("/")
        again = client.get("/")
    assert "x-cache" not in again.headers and "etag" in again.headers


def test_pages_keep_working_when_the_version_row_is_gone(site: tuple[Database, TestClient]) -> None:
    """A database restored without the row (or any read error): pages are rendered, not cached."""
    db, client = site
    with db.session() as session:
        session.execute(sa.text("DELETE FROM data_version"))
    page = client.get("/")
    assert page.status_code == 200 and "x-cache" not in page.headers


def test_the_migration_watches_exactly_the_tables_the_code_lists() -> None:
    """The migration keeps its own frozen copy (a migration must not follow later edits): the two agree."""
    migration = importlib.import_module("paperfeed.store.migrations.versions.0016_data_version")
    assert set(migration.WATCHED) == WATCHED_TABLES


def test_every_watched_table_has_its_trigger(db: Database) -> None:
    with db.engine.connect() as connection:
        if db.is_sqlite:
            names = connection.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            ours = [n for (n,) in names if n.startswith("data_version_")]
            triggered = {n.removeprefix("data_version_").rsplit("_", 1)[0] for n in ours}
        else:
            names = connection.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
            triggered = {n.removeprefix("data_version_") for (n,) in names if n.startswith("data_version_")}
    assert triggered == WATCHED_TABLES

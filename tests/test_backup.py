"""`paperfeed backup` / `restore`: a whole instance moves between SQLite and PostgreSQL and comes back the
same, row for row, page for page; a damaged file or a database with rows changes nothing."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.rank.topic_map import MapParams
from paperfeed.services import accounts, admin, collections, community, interests, submissions
from paperfeed.services.backup import BackupError, backup, read_header, restore
from paperfeed.services.digest import build_digests
from paperfeed.services.library import import_library
from paperfeed.services.search import search_papers, similar_papers
from paperfeed.services.subscriptions import (
    confirm_subscription,
    request_subscription,
    unsubscribe_by_token,
    unsubscribe_token,
)
from paperfeed.services.topic_map import build_map
from paperfeed.store import Database, jobs
from paperfeed.store import backup_rows as br
from paperfeed.store.instance import signing_key
from paperfeed.store.models import Base, LibraryItemRow, OutboxRow
from tests.support import pg
from tests.support.cli import PAPERFEED
from tests.support.corpus import Corpus, fill
from tests.support.live_server import SAMPLE_NOW, csrf_of, test_app
from tests.support.papers import ingest, paper

PASSWORD = "correct horse battery staple 42"
SECRET = "test-secret-key-not-for-production"


@dataclass
class Instance:
    """What a populated instance's tests need to look for after a restore."""

    papers: list[str]
    api_token: str
    feed_token: str
    unsubscribe: str


def _settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path, secret_key=SECRET)


def _keyed(db: Database, tmp_path: Path) -> Settings:
    """Settings signing with the instance's own key, kept in its database (as on a real install)."""
    return Settings(home=tmp_path / "keyed", database_url=db.url)


def populate(db: Database, corpus: Corpus, tmp_path: Path) -> Instance:
    """Every kind of row, each made the way the site makes it."""
    fill(db, corpus)
    ids = [r.paper.id for r in corpus.records]
    settings = _settings(tmp_path)
    ada = accounts.sign_up(db, "ada", PASSWORD, "ada@example.org")
    root = accounts.sign_up(db, "root", PASSWORD + " root", "root@example.org", admin=True)
    api_token, feed_token = accounts.new_api_token(db, ada.id), accounts.new_feed_token(db, ada.id)
    accounts.start_session(db, ada)  # a log-in: deliberately not backed up
    for paper_id in ids[:3]:
        community.upvote(db, ada.id, paper_id)
    community.upvote(db, root.id, ids[0])
    comment = community.add_comment(
        db, ada.id, ids[0], "**Lovely** result <script>alert(1)</script> — ünïcode"
    )
    community.report_comment(db, root.id, comment.id, "spam?")
    admin.hide_comment(db, root.id, comment.id)
    collections.create_collection(db, ada.id, "Reading list")
    collections.save_paper(db, ada.id, ids[1], "reading-list")
    collections.save_paper(db, ada.id, ids[2])
    interests.rate(db, ada.id, ids[3], 1)
    interests.rate(db, ada.id, ids[4], -1)
    interests.follow(db, ada.id, "author", "Yann LeCun")
    interests.follow(db, ada.id, "category", "cs.CV")
    title = corpus.paper(ids[5]).title
    bib = (
        f"@article{{a, title={{{title}}}, eprint={{{ids[5]}}}, archivePrefix={{arXiv}}}}\n"
        "@article{b, title={A paper this instance has never heard of}, year={1999}, doi={10.1/xyz}}\n"
    )
    assert import_library(db, ada.id, bib, now=SAMPLE_NOW).unmatched == 1
    with db.session() as session:  # an embedded library entry (as `embed_library_pending` stores one)
        item = session.scalars(sa.select(LibraryItemRow).where(LibraryItemRow.paper_id.is_(None))).one()
        item.vector, item.vector_model = bytes(range(256)) * 6, "test-model"
    outbox_id = request_subscription(db, settings, email="ada@example.org", user_id=ada.id, now=SAMPLE_NOW)
    with db.sessions() as session:
        body = session.get(OutboxRow, outbox_id).body_text  # type: ignore[union-attr]
    token = re.search(r"/confirm/(\S+)", body).group(1)  # type: ignore[union-attr]
    subscription = confirm_subscription(db, settings, token, now=SAMPLE_NOW)
    assert build_digests(db, settings, frequency="daily", now=SAMPLE_NOW).queued == 1
    submissions.submit(db, "https://arxiv.org/abs/2607.99999", submitted_by="ada", today=date(2026, 7, 1))
    with db.session() as session:  # a harvest's resumable checkpoint, nested JSON and all
        job = jobs.start_job(session, "oai", "cs|2026-06-01")
        jobs.save_checkpoint(session, job.id, {"token": "abc|1001", "pages": [1, 2.5, None]}, {"new": 3})
    assert build_map(db, MapParams(sample_size=120, min_topic_size=6)).skipped is None  # the topic map
    signing_key(db)
    return Instance(
        ids,
        api_token,
        feed_token,
        unsubscribe_token(_keyed(db, tmp_path), subscription.id, subscription.email),
    )


@pytest.fixture
def other_url(request: pytest.FixtureRequest, db: Database, tmp_path: Path) -> str:
    """An empty database of the backend that ``db`` is not."""
    if db.is_sqlite:
        return pg.fresh_database(request.getfixturevalue("pg_server"), prefix="r")
    return f"sqlite:///{tmp_path / 'restored.sqlite3'}"


@pytest.fixture
def other(other_url: str) -> Iterator[Database]:
    database = Database(other_url)
    database.migrate()
    yield database
    database.dispose()


def table_rows(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every backed-up table's rows in primary-key order, typed by the models (vectors as float32 bytes)."""
    with db.engine.connect() as connection:
        rows = {
            t.name: [tuple(r) for r in br.read_rows(connection, t, batch=100)] for t in br.backed_up_tables()
        }
        rows[br.VECTORS] = [tuple(r) for r in br.read_vectors(connection, batch=100)]
    return rows


def _vector_graphs(db: Database) -> list[str]:
    """The HNSW indexes on PostgreSQL's vectors table (a restore drops them while it loads)."""
    if db.is_sqlite:
        return ["(SQLite: none)"]
    with db.engine.connect() as connection:
        return list(
            connection.execute(
                sa.text(
                    "SELECT indexname FROM pg_indexes "
                    "WHERE tablename = 'paper_vectors' AND indexdef LIKE '%hnsw%'"
                )
            ).scalars()
        )


def _masked(text: str) -> str:
    """A page without what differs per request: its CSRF token."""
    text = re.sub(r'(name="csrf-token" content=")[^"]+', r"\1…", text)
    return re.sub(r'(name="csrf_token" value=")[^"]+', r"\1…", text)


PAGES = [
    "/",
    "/papers/date/2026-06-30",
    "/papers/week/2026-W26",
    "/papers/month/2026-06?sort=trending",
    "/trending",
    "/api/daily_papers",
    "/api/daily_papers?month=2026-06&sort=trending",
    "/search?q=diffusion+models&mode=keyword",
    "/api/papers/search?q=language%20model%20reasoning&mode=keyword",
    "/papers/week/2026-W26/atom",
    "/trending.rss",
]


def _pages(db: Database, tmp_path: Path, instance: Instance) -> dict[str, str]:
    first = instance.papers[0]
    paths = [*PAGES, f"/papers/{first}", f"/api/papers/{first}"]
    found: dict[str, str] = {}
    with TestClient(test_app(db, tmp_path)) as client:
        for path in paths:
            answer = client.get(path)
            assert answer.status_code == 200, path
            found[path] = _masked(answer.text)
        client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": csrf_of(client)})
        for path in ("/", f"/papers/{first}", "/collections/reading-list", "/for-you", "/account"):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 200 and "ada" in answer.text, path
            found["ada " + path] = _masked(answer.text)
    return found


def test_an_instance_moves_to_the_other_backend_unchanged(
    db: Database, other: Database, corpus: Corpus, tmp_path: Path
) -> None:
    instance = populate(db, corpus, tmp_path)
    path = tmp_path / "instance.jsonl.gz"
    made = backup(db, path)
    assert made.tables["paper_vectors"] == len(instance.papers) and made.tables["users"] == 2

    graphs = _vector_graphs(other)
    assert signing_key(other) != signing_key(db)  # a new database makes its own (and this process caches it)
    report = restore(other, path)
    assert report.tables == made.tables and report.indexed_papers == len(instance.papers)
    assert _vector_graphs(other) == graphs != []
    before, after = table_rows(db), table_rows(other)
    assert set(before) == {t.name for t in Base.metadata.sorted_tables} - set(br.SKIPPED) | {br.VECTORS}
    for name, rows in before.items():
        assert rows, f"the populated instance has no {name} rows: the test would prove nothing about them"
        assert after[name] == rows, name
    with other.engine.connect() as connection:  # (the data version's one row is the new database's own)
        skipped = {name: br.count_rows(connection, name) for name in br.SKIPPED if name != "data_version"}
        assert skipped == dict.fromkeys(set(br.SKIPPED) - {"data_version"}, 0)

    assert accounts.log_in(other, "ada", PASSWORD).username == "ada"
    assert accounts.user_for_token(other, instance.api_token).username == "ada"  # type: ignore[union-attr]
    assert accounts.user_for_feed_token(other, instance.feed_token).username == "ada"  # type: ignore[union-attr]
    assert signing_key(other) == signing_key(db)

    source_pages = _pages(db, tmp_path / "a", instance)
    restored_pages = _pages(other, tmp_path / "b", instance)
    for page, html in source_pages.items():
        assert restored_pages[page] == html, page
    # hidden by a moderator before the move, still hidden after it
    assert "Lovely" not in restored_pages[f"/papers/{instance.papers[0]}"]
    for mode in ("keyword", "semantic", "hybrid"):
        hits = [h.paper.id for h in search_papers(other, "image segmentation", mode=mode, limit=10).hits]
        assert len(hits) == 10
        assert hits == [h.paper.id for h in search_papers(db, "image segmentation", mode=mode, limit=10).hits]
    assert [h.paper.id for h in similar_papers(other, instance.papers[7])] == [
        h.paper.id for h in similar_papers(db, instance.papers[7])
    ]

    # the links in e-mails already sent keep working: signed with the instance's key, which moved along
    left = unsubscribe_by_token(other, _keyed(other, tmp_path), instance.unsubscribe)
    assert (left.email, left.status) == ("ada@example.org", "unsubscribed")


def test_new_rows_after_a_restore_get_fresh_ids(db: Database, other: Database, tmp_path: Path) -> None:
    ingest(db, [paper(1, "Sparse attention"), paper(2, "Dense attention")])
    ada = accounts.sign_up(db, "ada", PASSWORD)
    first = community.add_comment(db, ada.id, "2601.00001", "first")
    community.upvote(db, ada.id, "2601.00001")
    backup(db, tmp_path / "b.jsonl.gz")
    restore(other, tmp_path / "b.jsonl.gz")

    ada = accounts.log_in(other, "ada", PASSWORD)
    later = community.add_comment(other, ada.id, "2601.00002", "after the move")
    assert later.id > first.id
    assert community.upvote(other, ada.id, "2601.00002").upvotes == 1
    bob = accounts.sign_up(other, "bob", PASSWORD + " bob")
    assert bob.id > ada.id


def test_a_backup_is_one_moment_while_the_site_keeps_writing(
    db: Database, other: Database, tmp_path: Path
) -> None:
    ingest(db, [paper(1, "Sparse attention")])
    ada = accounts.sign_up(db, "ada", PASSWORD)
    voted: list[community.VoteResult] = []

    def vote_once_papers_are_written(rows: int) -> None:
        if rows >= 1 and not voted:  # the papers (count 0) are in the file; the votes table is still ahead
            voted.append(community.upvote(db, ada.id, "2601.00001"))

    backup(db, tmp_path / "b.jsonl.gz", on_rows=vote_once_papers_are_written)
    assert voted[0].upvotes == 1  # the vote went in, during the backup
    restore(other, tmp_path / "b.jsonl.gz")
    with other.engine.connect() as connection:  # and is not half in the file: no vote without its count
        assert br.count_rows(connection, "votes") == 0
        assert connection.execute(sa.text("SELECT upvotes FROM papers")).scalar_one() == 0


def test_restore_refuses_a_database_with_rows(db: Database, tmp_path: Path) -> None:
    ingest(db, [paper(1, "Sparse attention")])
    backup(db, tmp_path / "b.jsonl.gz")
    held = r"is not empty: papers \(1 row\), paper_authors \(2 rows\)\. "  # a paper and its authors
    with pytest.raises(BackupError, match=held) as refused:
        restore(db, tmp_path / "b.jsonl.gz")
    assert "new, empty database" in str(refused.value)
    with db.engine.connect() as connection:
        assert br.count_rows(connection, "papers") == 1


def test_restore_wants_the_schema_migrated_first(sqlite_db: Database, tmp_path: Path) -> None:
    ingest(sqlite_db, [paper(1, "Sparse attention")])
    backup(sqlite_db, tmp_path / "b.jsonl.gz")
    bare = Database(f"sqlite:///{tmp_path / 'bare.sqlite3'}")
    with pytest.raises(BackupError, match="run `paperfeed migrate` first"):
        restore(bare, tmp_path / "b.jsonl.gz")
    assert bare.schema_revision() is None  # and it was left alone


def _small_backup(db: Database, path: Path) -> list[str]:
    ingest(db, [paper(n, f"Paper number {n}") for n in range(1, 30)])
    accounts.sign_up(db, "ada", PASSWORD)
    backup(db, path, vectors=False)
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


def _write(path: Path, lines: list[str]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def _users_line(lines: list[str]) -> int:
    """Where the file's (one) account row is: its place depends on the tables' order."""
    return next(i for i, line in enumerate(lines) if json.loads(line).get("t") == "users")


def _with_users_row(lines: list[str], replacement: str) -> list[str]:
    at = _users_line(lines)
    return lines[:at] + [replacement] + lines[at + 1 :]


def _user_created_at(lines: list[str], value: object) -> list[str]:
    """The file with its account row given another ``created_at``."""
    columns = next(t["columns"] for t in json.loads(lines[0])["tables"] if t["name"] == "users")
    row = json.loads(lines[_users_line(lines)])
    assert row["t"] == "users"
    row["r"][columns.index("created_at")] = value
    return _with_users_row(lines, json.dumps(row))


def _assert_empty(db: Database) -> None:
    with db.engine.connect() as connection:
        assert br.non_empty_tables(connection) == {}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: _with_users_row(lines, '{"t":"users","r":[1, "ada"'), r"line \d+: not valid JSON"),
        (
            lambda lines: lines[:-2] + [lines[-3]] + lines[-1:],
            r"lines \d+-\d+: the database refused these \w+ rows \((UNIQUE|duplicate)",
        ),
        (lambda lines: lines[:-1], r"without its end mark: the file was cut short"),
        (
            lambda lines: lines[:-2] + ['{"t":"nowhere","r":[]}'] + lines[-1:],
            r"line \d+: not a row of a table",
        ),
        (lambda lines: _user_created_at(lines, 20260701), r"line \d+: .*str"),
        (lambda lines: _user_created_at(lines, None), r"lines (\d+)-\1: .*users"),
        (lambda lines: _with_users_row(lines, '{"t":"users","r":[2]}'), r"line \d+: 1 values for the 9"),
    ],
    ids=["bad-json", "duplicate-row", "no-end-mark", "unknown-table", "not-a-time", "no-time", "short-row"],
)
def test_a_damaged_file_leaves_the_database_empty(
    db: Database, other: Database, tmp_path: Path, damage: Any, message: str
) -> None:
    good = tmp_path / "good.jsonl.gz"
    lines = _small_backup(db, good)
    own_key, graphs = signing_key(other), _vector_graphs(other)
    bad = tmp_path / "bad.jsonl.gz"
    _write(bad, damage(lines))
    with pytest.raises(BackupError, match=message) as failed:
        restore(other, bad)
    assert "nothing was restored" in str(failed.value)
    _assert_empty(other)
    assert signing_key(other) == own_key  # the replaced rows came back too
    assert _vector_graphs(other) == graphs != []  # and the dropped vector graph
    restore(other, good)  # and the same database then takes a good file
    assert accounts.log_in(other, "ada", PASSWORD).username == "ada"


def test_a_truncated_archive_names_where_it_broke(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl.gz"
    _small_backup(sqlite_db, path)
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    target = Database(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    target.migrate()
    with pytest.raises(BackupError, match=r"after line \d+: the file is damaged or cut short"):
        restore(target, cut)
    _assert_empty(target)


def test_a_backup_of_another_schema_or_format_is_refused_with_what_to_do(
    sqlite_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "b.jsonl.gz"
    lines = _small_backup(sqlite_db, path)
    header = json.loads(lines[0])
    old = tmp_path / "old.jsonl.gz"
    _write(old, [json.dumps(header | {"schema": "0009_admin"}), *lines[1:]])
    with pytest.raises(
        BackupError,
        match=r"made at schema revision 0009_admin .* then run this version's `paperfeed migrate`",
    ):
        read_header(old)
    newer = tmp_path / "newer.jsonl.gz"
    _write(newer, [json.dumps(header | {"format_version": 99}), *lines[1:]])
    with pytest.raises(BackupError, match="version 99 backup"):
        read_header(newer)
    plain = tmp_path / "papers.jsonl"
    plain.write_text('{"id": "2601.00001", "title": "x"}\n')
    with pytest.raises(BackupError, match="not a paperfeed backup"):
        read_header(plain)


def test_no_vectors_leaves_them_out(sqlite_db: Database, corpus: Corpus, tmp_path: Path) -> None:
    fill(sqlite_db, corpus)
    with_vectors, without = tmp_path / "with.jsonl.gz", tmp_path / "without.jsonl.gz"
    backup(sqlite_db, with_vectors)
    report = backup(sqlite_db, without, vectors=False)
    assert br.VECTORS not in report.tables and not read_header(without)["vectors"]
    assert without.stat().st_size < with_vectors.stat().st_size / 2
    with gzip.open(without, "rt") as handle:
        assert not any(json.loads(line).get("t") == br.VECTORS for line in handle)
    target = Database(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    target.migrate()
    restored = restore(target, without)
    assert restored.tables["papers"] == len(corpus.records) and not restored.vectors
    with target.engine.connect() as connection:
        assert br.count_rows(connection, br.VECTORS) == 0


def test_restore_replaces_a_stale_search_index_left_at_the_same_place(
    sqlite_db: Database, tmp_path: Path
) -> None:
    ingest(sqlite_db, [paper(1, "Quantum annealing schedules"), paper(2, "Protein folding kinetics")])
    path = tmp_path / "b.jsonl.gz"
    backup(sqlite_db, path)
    target_file = tmp_path / "target.sqlite3"
    earlier = Database(f"sqlite:///{target_file}")
    earlier.migrate()
    ingest(earlier, [paper(n, f"Volcanic ash dispersion {n}") for n in range(3, 9)])
    assert len(search_papers(earlier, "volcanic", mode="keyword").hits) == 6  # builds its on-disk index
    earlier.dispose()
    for leftover in tmp_path.glob("target.sqlite3*"):
        leftover.unlink()  # the database is gone; its index folder is not
    target = Database(f"sqlite:///{target_file}")
    target.migrate()
    restore(target, path)
    assert search_papers(target, "volcanic", mode="keyword").hits == []
    assert [h.paper.id for h in search_papers(target, "protein folding", mode="keyword").hits] == [
        "2601.00002"
    ]


def test_a_failed_backup_leaves_the_previous_file(
    sqlite_db: Database, corpus: Corpus, tmp_path: Path
) -> None:
    fill(sqlite_db, corpus)
    path = tmp_path / "b.jsonl.gz"
    backup(sqlite_db, path)
    good = path.read_bytes()

    def interrupted(rows: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backup(sqlite_db, path, on_rows=interrupted)
    assert path.read_bytes() == good and list(tmp_path.glob("*.part")) == []


def test_every_table_is_backed_up_skipped_or_derived(db: Database) -> None:
    declared = set(Base.metadata.tables)
    assert declared >= set(br.SKIPPED) | br.REPLACED
    for table in br.backed_up_tables():
        br.codec(table)  # every column has an exact form in the file
    with db.engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
    unaccounted = {
        name
        for name in present
        if name not in declared and name != br.VECTORS and not name.startswith(br.DERIVED_PREFIXES)
    }
    assert unaccounted == set(), "back these tables up in store/backup_rows.py, or say there why not"


def test_a_column_type_without_an_exact_form_stops_the_backup() -> None:
    with pytest.raises(br.UnsupportedColumn, match="Interval"):
        br.column_kind(sa.Interval())
    with pytest.raises(br.UnsupportedColumn, match="Numeric"):
        br.column_kind(sa.Numeric())  # Decimal: JSON would turn it into a float
    assert [br.column_kind(t) for t in (sa.Float(), sa.JSON(), sa.LargeBinary(), sa.Date())] == [
        "plain",
        "json",
        "bytes",
        "date",
    ]


def _cli(home: Path, *args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PAPERFEED_HOME": str(home), "PAPERFEED_SECRET_KEY": SECRET}
    env.pop("PAPERFEED_DATABASE_URL", None)
    if url:
        env["PAPERFEED_DATABASE_URL"] = url
    return subprocess.run([PAPERFEED, *args], env=env, capture_output=True, text=True, timeout=300)


def test_the_commands_move_an_instance_from_sqlite_to_postgresql(
    pg_server: pg.PgServer, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    source = Database(f"sqlite:///{home / 'paperfeed.sqlite3'}")
    source.migrate()
    ingest(source, [paper(1, "Sparse attention"), paper(2, "Dense attention")])
    accounts.sign_up(source, "ada", PASSWORD)
    source.dispose()
    path = tmp_path / "site.jsonl.gz"

    made = _cli(home, "backup", str(path), "--no-vectors")
    assert made.returncode == 0, made.stderr
    assert "backed up" in made.stderr and "without vectors" in made.stderr
    url = pg.fresh_database(pg_server, prefix="c")
    restored = _cli(tmp_path / "node", "restore", str(path), url=url)
    assert restored.returncode == 0, restored.stderr
    assert (
        "restored 7 rows of" in restored.stderr  # 2 papers, their 4 authors, 1 account
        and "search indexes rebuilt" in restored.stderr
        and "web_sessions" in restored.stderr
        and "paperfeed reindex" in restored.stderr
    )
    target = Database(url)
    try:
        assert accounts.log_in(target, "ada", PASSWORD).username == "ada"
    finally:
        target.dispose()

    again = _cli(tmp_path / "node", "restore", str(path), url=url)
    assert (
        again.returncode == 1
        and "is not empty: papers (2 rows)" in again.stderr
        and "Traceback" not in again.stderr
    )
    missing = _cli(tmp_path / "node", "restore", str(tmp_path / "nowhere.jsonl.gz"), url=url)
    assert missing.returncode == 1 and "no such file" in missing.stderr

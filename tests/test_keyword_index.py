"""The on-disk keyword index follows the database on both backends: inserts, updates, withdrawals, deletes,
a crash between the database commit and the index update, and a rebuild that changes no answer."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperfeed.search import keyword, keyword_sync
from paperfeed.search.locations import index_root
from paperfeed.services.search import (
    SearchFilters,
    rebuild_keyword_index,
    refresh_keyword_index,
    search_papers,
)
from paperfeed.store import Database
from tests.support.papers import ingest, paper

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "graph neural networks",
    "quokka",
    "diffusion",
    "robot grasping",
    "language model reasoning",
    "telemetry",
    "Müller",
    "protein folding",
]


PAPERS = [
    paper(1, "Graph neural networks for molecules"),
    paper(2, "Diffusion models beat GANs"),
    paper(3, "Robot grasping with tactile sensing", categories=("cs.RO",)),
    paper(4, "Language model reasoning benchmarks", categories=("cs.CL",)),
    paper(5, "Protein folding by attention"),
    paper(6, "Sparse diffusion on graphs"),
]


def found(db: Database, query: str, **kwargs: object) -> list[str]:
    return [h.paper.id for h in search_papers(db, query, mode="keyword", limit=50, **kwargs).hits]  # type: ignore[arg-type]


def answered_by_index(db: Database) -> bool:
    with db.session() as session:
        return keyword.current_index(session) is not None


@pytest.fixture
def kept(db: Database):  # type: ignore[no-untyped-def]
    ingest(db, PAPERS)
    yield db
    keyword_sync.forget_kept_indexes()


def test_the_index_is_built_on_first_search_and_lives_next_to_the_database(kept: Database) -> None:
    assert set(found(kept, "diffusion")) == {"2601.00002", "2601.00006"}
    assert answered_by_index(kept)
    folder = index_root(kept.url)
    assert (folder / f"keyword-v{keyword_sync.ki.SCHEMA_VERSION}-title2" / "meta.json").exists()
    if kept.is_sqlite:
        assert folder.parent.parent == Path(sa.engine.make_url(kept.url).database).parent


def test_the_index_follows_inserts_updates_withdrawals_and_deletes(kept: Database) -> None:
    assert found(kept, "quokka") == []
    ingest(kept, [paper(7, "Quokka telemetry at scale")])
    assert found(kept, "quokka") == ["2601.00007"]  # insert

    renamed = replace(PAPERS[0], version=2, title="Zyxwvut quokka molecules", abstract="Quokkas at night.")
    ingest(kept, [renamed])
    assert set(found(kept, "quokka")) == {"2601.00001", "2601.00007"}  # update
    assert "2601.00001" not in found(kept, "graph neural networks")

    ingest(kept, [replace(PAPERS[1], version=2, withdrawn=True, abstract="This paper has been withdrawn.")])
    assert "2601.00002" not in found(kept, "diffusion")  # withdrawn: out of topical results …
    assert found(kept, "2601.00002") == ["2601.00002"]  # … but still found by its id

    with kept.session() as session:
        session.execute(sa.text("DELETE FROM papers WHERE id = :id"), {"id": "2601.00007"})
    keyword_sync.COUNT_CHECK_S, before = 0.0, keyword_sync.COUNT_CHECK_S
    try:
        assert found(kept, "quokka") == ["2601.00001"]  # delete: noticed by the count check
    finally:
        keyword_sync.COUNT_CHECK_S = before
    assert answered_by_index(kept)


def test_filters_work_in_the_index_and_categories_ignore_case(kept: Database) -> None:
    by_category = found(kept, "robot grasping diffusion", filters=SearchFilters(categories=("CS.ro",)))
    assert by_category == ["2601.00003"]
    assert set(found(kept, "diffusion", filters=SearchFilters(author="müll"))) == {"2601.00002", "2601.00006"}
    assert found(kept, "diffusion", filters=SearchFilters(author="nobody")) == []
    assert found(kept, "diffusion", filters=SearchFilters(date_to=datetime(2025, 1, 1).date())) == []


def test_a_change_the_index_missed_is_repaired_on_the_next_start(kept: Database) -> None:
    """The database commits, then the process dies before the index is updated: the next start catches up."""
    assert found(kept, "telemetry") == []
    script = f"""
import os, sys
sys.path.insert(0, {str(ROOT / "src")!r}); sys.path.insert(0, {str(ROOT)!r})
from paperfeed.store import Database
from paperfeed.search.keyword_sync import kept_index
from tests.support.papers import ingest, paper
db = Database({kept.url!r})
index = kept_index(db.url).index
writer = index.writer()                       # the index update has begun …
ingest(db, [paper(8, "Telemetry of quokkas")]) # … the database commits …
os._exit(9)                                    # … and the process dies before the index commits
"""
    run = subprocess.run([sys.executable, "-c", script], env={**os.environ}, capture_output=True, text=True)
    assert run.returncode == 9, run.stderr
    keyword_sync.forget_kept_indexes()  # a new process
    assert refresh_keyword_index(kept)
    assert found(kept, "telemetry") == ["2601.00008"]


def test_a_late_commit_older_than_the_index_mark_is_still_indexed(kept: Database) -> None:
    """A transaction stamps its rows, then commits after newer ones were indexed (within OVERLAP)."""
    assert found(kept, "diffusion")
    late = datetime.now(UTC) - timedelta(seconds=20)
    ingest(kept, [paper(9, "Telemetry from a late transaction")])
    with kept.session() as session:
        session.execute(sa.text("UPDATE papers SET modified_at = :t WHERE id = '2601.00009'"), {"t": late})
    keyword_sync.forget_kept_indexes()
    kept_index = keyword_sync.kept_index(str(kept.engine.url))
    with kept.session() as session:  # the index's mark is ahead of the late row …
        kept_index.catch_up(session)
    assert found(kept, "telemetry") == ["2601.00009"]  # … and the overlap re-read found it


def test_a_missing_index_is_rebuilt_by_itself_and_a_rebuild_changes_no_answer(kept: Database) -> None:
    ingest(
        kept, [paper(10, "Quokka telemetry"), replace(PAPERS[4], version=2, title="Protein folding again")]
    )
    incremental = {q: found(kept, q) for q in QUERIES}
    assert any(incremental.values())
    assert rebuild_keyword_index(kept) == len(PAPERS) + 1
    assert {q: found(kept, q) for q in QUERIES} == incremental

    keyword_sync.forget_kept_indexes()
    import shutil

    shutil.rmtree(index_root(kept.url))  # the node lost its index folder
    assert {q: found(kept, q) for q in QUERIES} == incremental


def test_while_the_index_catches_up_a_large_backlog_the_database_answers(
    kept: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyword_sync, "INLINE_MAX", 2)
    kept_index = keyword_sync.kept_index(str(kept.engine.url))
    started = []
    monkeypatch.setattr(kept_index, "_catch_up_in_background", lambda *a, **k: started.append(1))
    assert set(found(kept, "diffusion")) == {"2601.00002", "2601.00006"}  # from FTS5 / tsvector
    assert started and not answered_by_index(kept)
    with kept.session() as session:
        kept_index.catch_up(session)
    assert answered_by_index(kept)

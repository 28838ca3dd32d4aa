"""A node's vector index is saved on disk (next to a SQLite file; under PAPERFEED_INDEX_DIR for PostgreSQL),
memory-mapped by every process that starts, and follows new, re-embedded and deleted vectors from the table,
including, on PostgreSQL, rows whose transaction commits after a later one's."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.embed import current_model_key
from paperfeed.embed.vector_file import read_vector_file
from paperfeed.search import semantic, vector_index
from paperfeed.services.search import rebuild_vector_index, search_papers
from paperfeed.store import Database
from paperfeed.store.vectors import save_vectors
from tests.support import pg
from tests.support.corpus import Corpus, add_embedded_paper, fill


@pytest.fixture
def saved(db: Database, corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setattr(vector_index, "ANN_THRESHOLD", 50)  # the ~200 papers count as "large"
    monkeypatch.setattr(vector_index, "GENERATION_CHECK_S", 0.0)
    monkeypatch.setattr(vector_index, "COUNT_CHECK_INTERVAL_S", 0.0)
    fill(db, corpus)
    vector_index.forget_indexes()
    yield db
    vector_index.forget_indexes()


def index_of(db: Database) -> vector_index.VectorIndex:
    """The process's index, up to date (on PostgreSQL after its first load, which runs in a thread)."""
    index = vector_index.index_for(db.url, current_model_key())
    with db.session() as session:
        if not index.refresh(session):
            assert not db.is_sqlite
            assert index._loading is not None
            index._loading.join(60)
            assert index.refresh(session)
        if index._counting is not None:  # PostgreSQL counts (to notice deletions) beside the searches
            index._counting.join(30)
            index.refresh(session)
    return index


def exact_top(corpus: Corpus, query: np.ndarray, k: int) -> list[str]:
    stored = read_vector_file(corpus.vectors_path)
    return [stored.ids[i] for i in np.argsort(-(stored.vectors @ query))[:k]]


def test_the_first_process_saves_the_index_and_the_next_one_maps_it(saved: Database, corpus: Corpus) -> None:
    first = index_of(saved)
    assert first.base is not None and first.base.ann is not None and first.ids == []
    assert (first.folder / "CURRENT").exists()
    vector_index.forget_indexes()  # a new process (or another worker)
    second = index_of(saved)
    assert second.base is not None and second.ids == [] and len(second) == len(corpus.records)
    assert isinstance(second.base.vectors, np.memmap)
    # the expansion chosen for the graph's size, not the file's default (64)
    assert second.base.ann.expansion_search == vector_index.expansion_for(len(second)) > 64
    query = read_vector_file(corpus.vectors_path).vectors[40]
    assert len({h[0] for h in second.nearest(query, 10)} & set(exact_top(corpus, query, 10))) >= 9
    assert search_papers(saved, "graph neural networks", mode="hybrid").hits


def test_new_re_embedded_and_deleted_vectors_are_followed(saved: Database, corpus: Corpus) -> None:
    index = index_of(saved)
    model = current_model_key()
    moved, dropped = corpus.records[7].paper.id, corpus.records[9].paper.id
    target = read_vector_file(corpus.vectors_path).vectors[120]
    with saved.session() as session:
        digest = session.execute(
            sa.text("SELECT content_hash FROM papers WHERE id = :i"), {"i": moved}
        ).scalar()
        save_vectors(session, model, [(moved, digest)], target[None, :])  # re-embedded: now like paper 120
        session.execute(sa.text("DELETE FROM paper_vectors WHERE paper_id = :i"), {"i": dropped})
    index = index_of(saved)
    assert moved in index.masked and index.ids == [moved]
    assert moved in [h[0] for h in index.nearest(target, 2)]
    assert dropped not in [h[0] for h in index.nearest(read_vector_file(corpus.vectors_path).vectors[9], 5)]
    assert index.scores(target, [moved])[moved] == pytest.approx(1.0, abs=1e-5)
    assert len(index) == len(corpus.records) - 1


def test_a_grown_delta_is_saved_as_the_next_generation(
    saved: Database, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = index_of(saved)
    first = index.base_name
    monkeypatch.setattr(vector_index, "SAVE_DELTA", 1)
    moved = corpus.records[3].paper.id
    target = read_vector_file(corpus.vectors_path).vectors[60]
    with saved.session() as session:
        digest = session.execute(
            sa.text("SELECT content_hash FROM papers WHERE id = :i"), {"i": moved}
        ).scalar()
        save_vectors(session, current_model_key(), [(moved, digest)], target[None, :])
    index = index_of(saved)
    assert index._saving is not None
    index._saving.join(30)
    vector_index.forget_indexes()
    after = index_of(saved)
    assert after.base_name != first
    if saved.is_sqlite:
        assert after.ids == [] and after.masked == set()
    else:  # the generation ends at the horizon: a row read since is read again, and masks its saved copy
        assert after.ids in ([], [moved]) and after.masked == set(after.ids)
    assert after.vector(moved) == pytest.approx(target, abs=1e-6)
    assert len(after) == len(corpus.records)


def test_reindex_vectors_rebuilds_the_saved_index(saved: Database, corpus: Corpus) -> None:
    first = index_of(saved).base_name
    assert rebuild_vector_index(saved) == len(corpus.records)
    assert index_of(saved).base_name != first


def test_a_row_committed_after_a_later_one_is_not_skipped(saved: Database, corpus: Corpus) -> None:
    """PostgreSQL hands out row ids when rows are written and shows them when their transaction commits:
    the index must not move past an id whose transaction is still open (on SQLite writers take turns)."""
    model = current_model_key()
    vectors = read_vector_file(corpus.vectors_path).vectors
    early, late = corpus.records[11].paper.id, corpus.records[12].paper.id
    with saved.session() as session:
        digests = dict(session.execute(sa.text("SELECT id, content_hash FROM papers")).all())
    index = index_of(saved)
    slow = Session(saved.engine)
    if saved.is_sqlite:  # one writer at a time: the slow writer finishes before the quick one starts
        save_vectors(slow, model, [(early, digests[early])], vectors[100][None, :])
        slow.commit()
    else:
        save_vectors(slow, model, [(early, digests[early])], vectors[100][None, :])  # draws the lower id
    with Session(saved.engine) as quick:
        save_vectors(quick, model, [(late, digests[late])], vectors[101][None, :])
        quick.commit()
    index = index_of(saved)
    assert index.vector(late) == pytest.approx(vectors[101], abs=1e-6)
    slow.commit()
    slow.close()
    for _ in range(3):  # any number of searches later: the early row is there
        index = index_of(saved)
    assert index.vector(early) == pytest.approx(vectors[100], abs=1e-6)
    assert early in [h[0] for h in index.nearest(vectors[100], 3)]


def test_postgresql_answers_from_pgvector_until_the_node_index_is_loaded(
    pg_server: pg.PgServer, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = fill(Database(pg.fresh_database(pg_server)), corpus)
    vector_index.forget_indexes()
    model = current_model_key()
    query = read_vector_file(corpus.vectors_path).vectors[30]
    index = vector_index.index_for(db.url, model)
    release = threading.Event()
    original = index._refresh

    def slow_refresh(session: Session) -> None:
        release.wait(30)
        original(session)

    monkeypatch.setattr(index, "_refresh", slow_refresh)
    with db.session() as session:
        assert semantic.node_index(session, model) is None  # loading: the database answers
        hits = semantic.nearest(session, model, query, limit=5)
        assert hits[0][0] == corpus.records[30].paper.id
        release.set()
        assert index._loading is not None
        index._loading.join(30)
        assert semantic.node_index(session, model) is index
        assert [h[0] for h in semantic.nearest(session, model, query, limit=5)][0] == hits[0][0]
    vector_index.forget_indexes()
    db.dispose()


def test_a_deletion_and_an_addition_between_two_counts_are_both_seen(saved: Database, corpus: Corpus) -> None:
    """Another node deletes one paper's vector and adds a vector in one commit, and then nothing moves. A
    count taken before the new row is read equals the index's size: only a count after the read shows the
    deletion (the count runs only after a change, so a count that proves nothing must not close it)."""
    index = index_of(saved)
    dropped = corpus.records[11].paper.id
    template = corpus.records[0].paper
    added = dataclasses.replace(template, id="2611.88888", title="A vector added by another node")
    target = read_vector_file(corpus.vectors_path).vectors[11]
    add_embedded_paper(saved, added, (target[::-1] / np.linalg.norm(target)), dropping=dropped)
    index = index_of(saved)
    index = index_of(saved)  # quiet now: nothing was committed since
    assert index.vector(dropped) is None
    assert dropped not in [h[0] for h in index.nearest(target, 5)]
    assert added.id in index.row_of and len(index) == len(corpus.records)


def test_pgvector_settings_hold_for_its_query_in_a_search_session(
    pg_server: pg.PgServer, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search's session has no transaction: SET LOCAL alone would do nothing, and a plain SET would stay on
    the pooled connection (or, behind PgBouncer, reach another one). The query gets a transaction of its
    own, and the setting ends with it."""
    db = fill(Database(pg.fresh_database(pg_server)), corpus)
    monkeypatch.setattr(semantic, "ENGINE", "database")
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(" ".join(statement.split()[:2]))  # "BEGIN", "SET LOCAL", "SELECT v.paper_id,"

    query = read_vector_file(corpus.vectors_path).vectors[30]
    try:
        with db.read_session() as session:
            sa.event.listen(db.engine, "before_cursor_execute", record)
            hits = semantic.nearest(session, current_model_key(), query, limit=5)
            sa.event.remove(db.engine, "before_cursor_execute", record)
            after = session.execute(sa.text("SELECT current_setting('hnsw.ef_search')")).scalar()
        assert hits[0][0] == corpus.records[30].paper.id
        assert statements[0] == "BEGIN" and statements[-1] == "COMMIT"
        assert statements[1:3] == ["SET LOCAL", "SET LOCAL"]
        assert after == "40"  # pgvector's default: nothing stayed on the connection
    finally:
        db.dispose()

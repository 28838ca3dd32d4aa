"""The SQLite vector index is saved next to the database, memory-mapped by every process that starts, and
follows new, re-embedded and deleted vectors from the table."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import sqlalchemy as sa

from paperfeed.embed import current_model_key
from paperfeed.embed.vector_file import read_vector_file
from paperfeed.search import vector_index
from paperfeed.services.search import rebuild_vector_index, search_papers
from paperfeed.store import Database
from paperfeed.store.vectors import save_vectors
from tests.support.corpus import Corpus, fill


@pytest.fixture
def saved(sqlite_db: Database, corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    monkeypatch.setattr(vector_index, "ANN_THRESHOLD", 50)  # the ~200 papers count as "large"
    monkeypatch.setattr(vector_index, "GENERATION_CHECK_S", 0.0)
    monkeypatch.setattr(vector_index, "COUNT_CHECK_INTERVAL_S", 0.0)
    fill(sqlite_db, corpus)
    vector_index.forget_indexes()
    yield sqlite_db
    vector_index.forget_indexes()


def index_of(db: Database) -> vector_index.VectorIndex:
    index = vector_index.index_for(db.url, current_model_key())
    with db.session() as session:
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
    assert after.base_name != first and after.ids == [] and after.masked == set()
    assert after.vector(moved) == pytest.approx(target, abs=1e-6)
    assert len(after) == len(corpus.records)


def test_reindex_vectors_rebuilds_the_saved_index(saved: Database, corpus: Corpus) -> None:
    first = index_of(saved).base_name
    assert rebuild_vector_index(saved) == len(corpus.records)
    assert index_of(saved).base_name != first

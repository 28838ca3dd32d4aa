"""A node's own indexes (keyword, vectors) skip their freshness check while the data version stands still, and
see the next change committed anywhere, on either backend."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from paperfeed.embed import current_model_key
from paperfeed.search import keyword, keyword_sync, semantic, vector_index
from paperfeed.search.query import parse_query
from paperfeed.services.search import rebuild_keyword_index, search_papers
from paperfeed.store import Database
from paperfeed.store.models import PaperRow
from paperfeed.store.papers import upsert_papers
from tests.support.corpus import Corpus, add_embedded_paper, fill

HOUR = timedelta(hours=1)


@pytest.fixture
def quiet(db: Database, corpus: Corpus) -> Iterator[Database]:
    """The corpus written an hour ago (past the keyword index's window for late commits), both indexes built
    and opened."""
    fill(db, corpus)
    with db.session() as session:
        for paper_id, modified in session.execute(sa.select(PaperRow.id, PaperRow.modified_at)).all():
            session.execute(
                sa.update(PaperRow).where(PaperRow.id == paper_id).values(modified_at=modified - HOUR)
            )
    keyword_sync.forget_kept_indexes()
    vector_index.forget_indexes()
    rebuild_keyword_index(db)
    search_papers(db, "graph neural networks", mode="hybrid")  # opens both, loads the vectors' index
    with db.session() as session:
        index = vector_index.index_for(db.url, current_model_key())
        if index._loading is not None:  # PostgreSQL loads it in a thread; pgvector answers meanwhile
            index._loading.join(60)
        assert index.refresh(session)
    search_papers(db, "graph neural networks", mode="hybrid")
    yield db
    keyword_sync.forget_kept_indexes()
    vector_index.forget_indexes()


def statements_of(db: Database, work) -> list[str]:  # noqa: ANN001 - any call
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_a_search_of_an_unchanged_database_asks_only_the_data_version(quiet: Database) -> None:
    """Until this change a hybrid search on PostgreSQL asked each index twice: the newest modification,
    pg_stat_activity and the vectors past the index's mark, six statements before the search itself."""
    statements = statements_of(quiet, lambda: search_papers(quiet, "message passing", mode="hybrid"))
    assert not [s for s in statements if "max(papers.modified_at)" in s]
    assert not [s for s in statements if "pg_stat_activity" in s]
    assert not [s for s in statements if "FROM paper_vectors WHERE model" in s and " id > " in s]
    versions = [s for s in statements if "FROM data_version" in s]
    assert 1 <= len(versions) <= 3  # once per session: the request's two and the semantic side's one


def test_a_change_committed_by_another_node_is_in_the_next_search(quiet: Database, corpus: Corpus) -> None:
    other = Database(quiet.url)  # another node's connections to the same database
    model = current_model_key()
    template = corpus.records[0].paper
    new = dataclasses.replace(
        template, id="2611.99999", title="Quasicrystalline zebrafinch lattices", abstract="Zebrafinches."
    )
    vector = np.random.default_rng(3).normal(size=384).astype(np.float32)
    vector /= np.linalg.norm(vector)
    try:
        add_embedded_paper(other, new, vector)
    finally:
        other.dispose()
    found = search_papers(quiet, "zebrafinch", mode="keyword")
    assert [h.paper.id for h in found.hits] == [new.id]
    with quiet.session() as session:
        assert semantic.nearest(session, model, vector, limit=1)[0][0] == new.id
    other = Database(quiet.url)
    try:
        with other.session() as session:
            upsert_papers(session, [dataclasses.replace(new, withdrawn=True)])
    finally:
        other.dispose()
    with quiet.session() as session:  # the index itself, not only the page (which hides withdrawn papers)
        assert keyword.keyword_search(session, parse_query("zebrafinch"), limit=5) == []


def test_a_count_that_could_not_repair_is_tried_again(
    quiet: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paper deleted straight from the table (as an operator might) leaves the words' index only through
    the count and its repair. When the repair cannot run (another thread holds the index's writer), the
    next search must count again, though nothing was committed since."""
    monkeypatch.setattr(keyword_sync, "COUNT_CHECK_S", 0.0)
    monkeypatch.setattr(keyword_sync, "INLINE_WAIT_S", 0.1)
    with quiet.session() as session:
        row = session.execute(sa.select(PaperRow).limit(1)).scalar_one()
        gone = row.id
        title_word = parse_query(row.title).terms[0]
    with quiet.session() as session:
        session.execute(sa.text("DELETE FROM papers WHERE id = :id"), {"id": gone})
    kept = keyword_sync.kept_index(quiet.url, keyword.title_repeat())
    with kept._lock:  # a catch-up of another thread is writing
        search_papers(quiet, title_word, mode="keyword")
    search_papers(quiet, title_word, mode="keyword")  # nothing committed since: counted again all the same
    with quiet.session() as session:
        found = keyword.keyword_search(session, parse_query(title_word), limit=500)
    assert gone not in [pid for pid, _ in found]

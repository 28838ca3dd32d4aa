"""Whatever is typed into the search box: results, or a SearchError with a sentence for the user."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from paperfeed.services.search import SearchError, search_papers
from paperfeed.store import Database

ANSWERED = [
    '"diffusion models"',
    'say "hello',
    "Schrödinger bridges für Bildgenerierung — 扩散模型",
    "$\\ell_1$ regularisation of $\\mathcal{O}(n^2)$ losses",
    "x" * 5 + " transformers " * 700,  # ~10,000 characters
    "graph* NEAR(attention, 3) AND -pruning OR (vision",
    "AND",
    "- - transformer -",
    "'; DROP TABLE papers; --",
    "1 OR 1=1) UNION SELECT * FROM users",
    "title:robots abstract:grasping",
    "the of and",  # nothing but stop words is still a query
    "e-mail",
]
REFUSED = ["", "   ", "\n\t", '"', "()*-", "%_%\\", "\u200b", "a" * 10_001]


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
@pytest.mark.parametrize("query", ANSWERED, ids=range(len(ANSWERED)))
def test_odd_queries_are_answered(search_db: Database, query: str, mode: str) -> None:
    results = search_papers(search_db, query, mode=mode, limit=5)
    assert results.mode == mode
    assert len(results.hits) <= 5
    if mode != "keyword":
        assert results.hits  # the embedding of any text has neighbours


@pytest.mark.parametrize("query", REFUSED, ids=range(len(REFUSED)))
def test_queries_without_words_are_refused_with_a_reason(search_db: Database, query: str) -> None:
    with pytest.raises(SearchError) as error:
        search_papers(search_db, query)
    assert "query" in str(error.value)


def test_papers_table_survives_sql_ish_queries(search_db: Database) -> None:
    before = search_papers(search_db, "learning", mode="keyword", limit=3).hits
    search_papers(search_db, "'; DROP TABLE papers; --", mode="keyword")
    assert search_papers(search_db, "learning", mode="keyword", limit=3).hits == before


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"mode": "fuzzy"}, "mode"),
        ({"limit": 0}, "limit"),
        ({"limit": 10_000}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_bad_parameters_name_the_parameter(search_db: Database, kwargs: dict, named: str) -> None:
    with pytest.raises(SearchError, match=named):
        search_papers(search_db, "learning", **kwargs)


def test_more_concurrent_searches_than_connections_all_finish(search_db: Database) -> None:
    """The semantic side runs in a thread with a session of its own. A search must give its connection back
    before waiting for that side, or, once every connection of the pool is held by a waiting search, no side
    can get one: on PostgreSQL (a pool of two here) the searches would fail after the pool's timeout."""
    small = Database(search_db.url, pool_size=2, max_overflow=0)
    queries = ["graph neural networks", "diffusion models for images", "language model agents", "robot"] * 3
    try:
        expected = {q: [h.paper.id for h in search_papers(small, q).hits] for q in set(queries)}
        with ThreadPoolExecutor(max_workers=len(queries)) as pool:
            answers = list(pool.map(lambda q: search_papers(small, q), queries))
    finally:
        small.dispose()
    assert all(answer.hits for answer in answers)
    assert [[h.paper.id for h in a.hits] for a in answers] == [expected[q] for q in queries]


def test_a_search_checks_each_index_once_per_session(search_db: Database) -> None:
    """Each check of an index's freshness is a round trip on PostgreSQL; a hybrid search used to make five for
    the words' index and three for the vectors'. Now one per session block (the request's two, the semantic
    side's one)."""
    search_papers(search_db, "graph neural networks", mode="hybrid")  # both indexes open and current
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    sa.event.listen(search_db.engine, "before_cursor_execute", record)
    try:
        search_papers(search_db, "graph neural netwrks", mode="hybrid")  # a typo: "did you mean" asks too
    finally:
        sa.event.remove(search_db.engine, "before_cursor_execute", record)
    # (papers written within the last minutes keep the words' index checking; the vectors' index reads
    # nothing at all while the data version stands still: tests/test_index_freshness.py)
    freshness = [s for s in statements if "max(papers.modified_at)" in s]
    assert 1 <= len(freshness) <= 2
    assert len([s for s in statements if "pg_stat_activity" in s]) <= 2

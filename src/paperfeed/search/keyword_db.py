"""Keyword search inside the database: BM25 over FTS5 on SQLite, weighted ``ts_rank`` over a tsvector on
PostgreSQL.

This was paperfeed's only keyword engine; it now answers while the on-disk index (keyword_index) is being
built or caught up, and is the "before" of benchmarks/search_speed.py. Both score every paper that matches
a query word, which at a million papers costs hundreds of milliseconds for a common word. The field
weights are those of :mod:`paperfeed.search.keyword`; PostgreSQL's ts_rank weights mirror their ratios.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.search.filters import SearchFilters, filter_sql
from paperfeed.search.query import ParsedQuery, fts5_match, websearch_text

# Common-terms guard (as Lucene's common-terms query): on a large corpus, a word in more than this share of
# papers ("learning", "model") adds little to the ranking but makes the index visit a large part of the
# corpus (FTS5's bm25() counts its documents on every query; ts_rank reads every matching row), so it is
# dropped when a rarer word is left to search for.
LARGE_CORPUS = 50_000
COMMON_SHARE = 0.05
DOC_COUNT_TTL_S = 600.0


def keyword_search(
    session: Session,
    query: ParsedQuery,
    *,
    limit: int,
    filters: SearchFilters,
    weights: tuple[float, float, float],
) -> list[tuple[str, float]]:
    """``(paper id, score)`` pairs, best first; higher scores are better on both backends."""
    if not query.terms or limit <= 0:
        return []
    dialect = session.get_bind().dialect.name
    where, params = filter_sql(filters, dialect)
    query = without_common_terms(session, query)
    if dialect == "sqlite":
        # Unfiltered, rank inside FTS5 first and join only the top rows: common words match a large
        # share of a big corpus, and joining every match to papers before sorting is what costs.
        sql = (
            (
                "SELECT p.id, f.score FROM (SELECT rowid, -bm25(papers_fts, :wt, :wa, :wb) AS score "
                "FROM papers_fts WHERE papers_fts MATCH :match ORDER BY score DESC LIMIT :limit) f "
                "JOIN papers p ON p.rowid = f.rowid ORDER BY f.score DESC"
            )
            if not where
            else (
                "SELECT p.id, -bm25(papers_fts, :wt, :wa, :wb) AS score FROM papers_fts "
                "JOIN papers p ON p.rowid = papers_fts.rowid "
                f"WHERE papers_fts MATCH :match{where} ORDER BY score DESC LIMIT :limit"
            )
        )
        params |= {"match": fts5_match(query.terms), "wt": weights[0], "wa": weights[1], "wb": weights[2]}
    else:
        # weights are {D, C, B, A}: abstract is C, authors B, title A; normalisation 1 divides by log(length)
        sql = (
            "SELECT p.id, ts_rank(CAST(:weights AS real[]), p.search_tsv, q, 1) AS score "
            "FROM papers p, websearch_to_tsquery('english', :text) q "
            f"WHERE p.search_tsv @@ q{where} ORDER BY score DESC, p.id LIMIT :limit"
        )
        params |= {"text": websearch_text(query.terms), "weights": _pg_weights(weights)}
    params["limit"] = limit
    return [(row[0], float(row[1])) for row in session.execute(sa.text(sql), params)]


_doc_counts: dict[tuple[str, str], tuple[float, int]] = {}
_doc_counts_lock = threading.Lock()


def _corpus_size(session: Session) -> int:
    """About how many papers are indexed: one index probe (SQLite) or the planner's estimate (PostgreSQL)."""
    if session.get_bind().dialect.name == "sqlite":
        return session.execute(sa.text("SELECT max(rowid) FROM papers")).scalar() or 0
    estimate = session.execute(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'papers'")).scalar()
    return int(estimate or 0)


def _doc_count(session: Session, term: str) -> int:
    """Papers containing ``term``, cached per process for ``DOC_COUNT_TTL_S`` (counting costs a scan)."""
    key = (str(session.get_bind().engine.url), term)
    now = time.monotonic()
    with _doc_counts_lock:
        cached = _doc_counts.get(key)
    if cached and now - cached[0] < DOC_COUNT_TTL_S:
        return cached[1]
    if session.get_bind().dialect.name == "sqlite":
        count = session.execute(
            sa.text("SELECT count(*) FROM papers_fts WHERE papers_fts MATCH :m"), {"m": fts5_match((term,))}
        ).scalar_one()
    else:
        count = session.execute(
            sa.text("SELECT count(*) FROM papers WHERE search_tsv @@ websearch_to_tsquery('english', :t)"),
            {"t": term},
        ).scalar_one()
    with _doc_counts_lock:
        _doc_counts[key] = (now, int(count))
    return int(count)


def without_common_terms(session: Session, query: ParsedQuery) -> ParsedQuery:
    """The query without words found in more than COMMON_SHARE of a large corpus (see above)."""
    if len(query.terms) < 2:
        return query
    total = _corpus_size(session)
    if total < LARGE_CORPUS:
        return query
    rare = tuple(t for t in query.terms if _doc_count(session, t) <= COMMON_SHARE * total)
    return replace(query, terms=rare) if rare else query


def _pg_weights(weights: tuple[float, float, float]) -> str:
    title, authors, abstract = weights
    return "{" + f"0.0,{abstract / title:.3f},{authors / title:.3f},1.0" + "}"

"""Search: the one entry point the CLI, the pages and the API use.

Three modes: ``keyword`` (BM25 with title > authors > abstract), ``semantic`` (sentence embeddings) and
``hybrid`` (both, fused by score; the default). In every mode a query that names a paper exactly, by arXiv
id or by its whole title, puts that paper first. Until papers are embedded (``paperfeed reindex``), semantic
and hybrid searches answer from the keyword index and say so in :attr:`SearchResults.mode`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from paperfeed.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperfeed.domain.paper import Paper
from paperfeed.embed import current_model_key, get_encoder
from paperfeed.search import hybrid, keyword, semantic
from paperfeed.search.filters import SearchFilters
from paperfeed.search.indexing import (
    drop_vectors,
    embed_pending,
    load_precomputed_vectors,
    pending_count,
)
from paperfeed.search.query import MAX_QUERY_CHARS, ParsedQuery, parse_query
from paperfeed.store import Database
from paperfeed.store.papers import get_papers
from paperfeed.store.vectors import has_vectors

__all__ = [
    "MODES", "SAMPLE_VECTORS", "SearchError", "SearchFilters", "SearchHit", "SearchResults",
    "UnknownPaper", "drop_vectors", "embed_pending", "load_precomputed_vectors", "pending_count",
    "search_papers", "similar_papers", "warm_up",
]

MODES = ("hybrid", "keyword", "semantic")
# The bundled sample's vectors: call `load_precomputed_vectors(db, SAMPLE_VECTORS)` after importing it.
SAMPLE_VECTORS = Path(__file__).resolve().parents[1] / "data" / "sample-vectors.npz"
CANDIDATES = 100  # papers each side contributes to the hybrid fusion
MAX_LIMIT = 200
MAX_OFFSET = 10_000


class SearchError(ValueError):
    """A query we refuse; the message is a sentence for the user (HTTP 400 in the web layer)."""


class UnknownPaper(SearchError):
    """Similar papers were asked for a paper that is not in the database."""


@dataclass(frozen=True)
class SearchHit:
    paper: Paper
    score: float


@dataclass(frozen=True)
class SearchResults:
    hits: list[SearchHit]
    mode: str  # the mode that answered: "keyword" when semantic was asked but nothing is embedded yet
    query: str


def search_papers(
    db: Database, query: str, *, mode: str = "hybrid", limit: int = 20, offset: int = 0,
    filters: SearchFilters = SearchFilters(),
) -> SearchResults:
    """The papers best matching ``query``, most relevant first, ``limit`` of them from ``offset``."""
    parsed = _validated(query, mode, limit, offset)
    depth = offset + limit
    model = current_model_key()
    with db.session() as session:
        if mode != "keyword" and not has_vectors(session, model):
            mode = "keyword"
        if mode == "keyword":
            ranked = keyword.keyword_search(session, parsed, limit=depth, filters=filters)
        else:
            query_vector = get_encoder().encode([parsed.text])[0]
            semantic_hits = semantic.nearest(session, model, query_vector, limit=max(depth, CANDIDATES),
                                             filters=filters)
            if mode == "semantic":
                ranked = semantic_hits[:depth]
            else:
                keyword_hits = keyword.keyword_search(session, parsed, limit=max(depth, CANDIDATES),
                                                      filters=filters)
                ranked = hybrid.hybrid_rank(
                    query_vector, keyword_hits, semantic_hits,
                    lambda q, ids: semantic.similarities(session, model, q, ids),
                    lambda ids: semantic.paper_vectors(session, model, ids),
                )[:depth]
        ranked = _exact_first(keyword.exact_matches(session, parsed, filters), ranked)[offset:depth]
        papers = get_papers(session, [pid for pid, _ in ranked])
    hits = [SearchHit(papers[pid], score) for pid, score in ranked if pid in papers]
    return SearchResults(hits=hits, mode=mode, query=parsed.text)


def warm_up(db: Database) -> None:
    """Load the encoder and build this process's vector index before the first user needs them.

    Both are lazy; on a large corpus the in-process index takes minutes to build (362 s at 1M papers,
    benchmarks/results/search_speed.md), which must not be the first visitor's wait. The web app runs this
    in a background thread at start-up; a failure only costs the warm start, so it is logged, not raised.
    """
    try:
        search_papers(db, "warm up", mode="semantic", limit=1)
    except Exception:  # noqa: BLE001 - best effort, see docstring
        logging.getLogger(__name__).exception("warming up search failed; the first search will be slower")


def similar_papers(db: Database, paper_id: str, *, limit: int = 10) -> list[SearchHit]:
    """Papers most like ``paper_id`` (by vector; by its title's words while it has no vector yet)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}.")
    model = current_model_key()
    with db.session() as session:
        wanted = _resolve_id(paper_id)
        found = get_papers(session, [wanted])
        if wanted not in found:
            raise UnknownPaper(f"No paper with id {paper_id!r} is in the database.")
        vector = semantic.paper_vector(session, model, wanted)
        if vector is not None:
            ranked = semantic.nearest(session, model, vector, limit=limit, exclude=wanted)
        else:
            title_query = parse_query(found[wanted].title)
            by_title = keyword.keyword_search(session, title_query, limit=limit + 1)
            ranked = [hit for hit in by_title if hit[0] != wanted]
        papers = get_papers(session, [pid for pid, _ in ranked[:limit]])
    return [SearchHit(papers[pid], score) for pid, score in ranked[:limit] if pid in papers]


def _validated(query: str, mode: str, limit: int, offset: int) -> ParsedQuery:
    if mode not in MODES:
        raise SearchError(f"mode must be one of {', '.join(MODES)}, not {mode!r}.")
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}.")
    if not 0 <= offset <= MAX_OFFSET:
        raise SearchError(f"offset must be between 0 and {MAX_OFFSET}, not {offset}.")
    if not query or not query.strip():
        raise SearchError("The search query is empty: type some words to search for.")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(
            f"The search query is {len(query):,} characters long; the most is {MAX_QUERY_CHARS:,}."
        )
    parsed = parse_query(query)
    if not parsed.terms:
        raise SearchError(f"The search query {query[:80]!r} has no words or numbers to search for.")
    return parsed


def _exact_first(exact: list[str], ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Papers named exactly go on top, scored just above the best other hit."""
    if not exact:
        return ranked
    top = max((score for _, score in ranked), default=0.0)
    head = [(pid, top + 1.0) for pid in exact]
    return head + [hit for hit in ranked if hit[0] not in exact]


def _resolve_id(paper_id: str) -> str:
    """An arXiv id, versioned id or arxiv.org URL becomes the stored id; anything else is used as is."""
    try:
        return parse_arxiv_id(paper_id).base
    except InvalidArxivId:
        return paper_id.strip()

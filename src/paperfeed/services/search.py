"""Search: the one entry point the CLI, the pages and the API use.

Three modes: ``keyword`` (BM25 with title > authors > abstract), ``semantic`` (sentence embeddings) and
``hybrid`` (both, fused by score; the default). In every mode a query that names a paper exactly, by arXiv
id or by its whole title, puts that paper first. Until papers are embedded (``paperfeed reindex``), semantic
and hybrid searches answer from the keyword index and say so in :attr:`SearchResults.mode`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from paperfeed.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperfeed.domain.paper import Paper
from paperfeed.embed import current_model_key, get_encoder
from paperfeed.search import hybrid, keyword, semantic, vector_index
from paperfeed.search.filters import SearchFilters
from paperfeed.search.indexing import (
    drop_vectors,
    embed_pending,
    load_precomputed_vectors,
    pending_count,
)
from paperfeed.search.keyword_sync import kept_index
from paperfeed.search.query import MAX_QUERY_CHARS, ParsedQuery, parse_query
from paperfeed.store import Database
from paperfeed.store.data_version import DataVersion, unchanged_since, version_seen_by
from paperfeed.store.papers import get_papers
from paperfeed.store.vectors import has_vectors

__all__ = [
    "MODES",
    "SAMPLE_VECTORS",
    "SearchError",
    "SearchFilters",
    "SearchHit",
    "SearchResults",
    "UnknownPaper",
    "drop_vectors",
    "embed_pending",
    "load_precomputed_vectors",
    "pending_count",
    "rebuild_keyword_index",
    "rebuild_vector_index",
    "refresh_keyword_index",
    "search_papers",
    "similar_papers",
    "warm_up",
]

MODES = ("hybrid", "keyword", "semantic")
# The bundled sample's vectors: call `load_precomputed_vectors(db, SAMPLE_VECTORS)` after importing it.
SAMPLE_VECTORS = Path(__file__).resolve().parents[1] / "data" / "sample-vectors.npz"
CANDIDATES = 100  # papers each side contributes to the hybrid fusion
# Below this cosine (MiniLM) a paper shares no meaning with the query: unrelated abstracts score 0.0-0.2, the
# relevant papers of SciFact's queries 0.4-0.8 (benchmarks/search_quality.py reports how often the best
# semantic hit of a real query falls below it).
SEMANTIC_FLOOR = 0.3
MAX_LIMIT = 200
# The semantic side (embed the query, then ask the vector index) runs here while the request's thread runs
# the keyword side: the model and usearch run outside the GIL, and pgvector's search is a wait on the
# database. A few threads, so that the concurrent searches of a process do not queue behind one another.
_SEMANTIC_SIDE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="search-semantic")
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
    # About how many papers contain a query word (None: unknown, e.g. with filters or semantic only).
    total: int | None = None
    # False when no paper contains a query word and none is close in meaning (SEMANTIC_FLOOR): the hits are
    # then only the least distant papers, which a page should not present as answers.
    relevant: bool = True
    suggestion: str | None = None  # the query with unknown words replaced by close words of the corpus
    exact_id: str | None = None  # the query is the arXiv id of this stored paper


def search_papers(
    db: Database,
    query: str,
    *,
    mode: str = "hybrid",
    limit: int = 20,
    offset: int = 0,
    filters: SearchFilters = SearchFilters(),
) -> SearchResults:
    """The papers best matching ``query``, most relevant first, ``limit`` of them from ``offset``.

    The semantic side (embed, then nearest papers: the longer one) starts first, in its own thread and
    session; this thread meanwhile does all that does not need its answer (the words' side, exact names, the
    count, "did you mean"). Only fusing and reading the papers shown wait for it."""
    parsed = _validated(query, mode, limit, offset)
    depth = offset + limit
    model = current_model_key()
    side = None
    if mode != "keyword":
        side = _SEMANTIC_SIDE.submit(_semantic_side, db, model, parsed.text, max(depth, CANDIDATES), filters)
    keyword_hits: list[tuple[str, float]] = []
    semantic_hits: list[tuple[str, float]] = []
    with db.read_session() as session:
        if mode != "semantic":
            keyword_hits = keyword.keyword_search(
                session, parsed, limit=max(depth, CANDIDATES) if mode == "hybrid" else depth, filters=filters
            )
        rarity = keyword.rarity(session, parsed) if mode == "hybrid" else None
        exact = keyword.exact_matches(session, parsed, filters)
        total = None
        if mode != "semantic" and not filters.active and keyword_hits:
            total = keyword.estimated_matches(session, parsed)
        suggestion = None if exact or offset else keyword.did_you_mean(session, parsed)
    # This block's connection went back to the pool before waiting: the semantic side may need one from the
    # same pool, and a pool whose every connection is held by a waiting request would never free one.
    found = None if side is None else side.result()
    with db.read_session() as session:
        if found is None:  # keyword search asked, or nothing is embedded yet: the words answer
            if mode == "semantic":
                keyword_hits = keyword.keyword_search(session, parsed, limit=depth, filters=filters)
                if keyword_hits and not filters.active:
                    total = keyword.estimated_matches(session, parsed)
            mode, ranked = "keyword", keyword_hits
        else:
            query_vector, semantic_hits = found
            if mode == "semantic":
                ranked = semantic_hits[:depth]
            else:
                ranked = hybrid.hybrid_rank(
                    query_vector,
                    keyword_hits,
                    semantic_hits,
                    lambda q, ids: semantic.similarities(session, model, q, ids),
                    lambda ids: semantic.paper_vectors(session, model, ids),
                    keyword_weight=hybrid.keyword_share(parsed.terms, rarity),
                )[:depth]
        ranked = _exact_first(exact, ranked)[offset:depth]
        papers = get_papers(session, [pid for pid, _ in ranked])
    relevant = bool(exact or keyword_hits or (semantic_hits and semantic_hits[0][1] >= SEMANTIC_FLOOR))
    # a withdrawn paper is shown only when asked for by name
    hits = [
        SearchHit(papers[pid], score)
        for pid, score in ranked
        if pid in papers and (not papers[pid].withdrawn or pid in exact)
    ]
    if total is not None:
        total = max(total, offset + len(hits))
    exact_id = parsed.arxiv_id if parsed.arxiv_id and parsed.arxiv_id in exact else None
    return SearchResults(
        hits=hits,
        mode=mode,
        query=parsed.text,
        total=total,
        relevant=relevant,
        suggestion=suggestion,
        exact_id=exact_id,
    )


def _vectors_exist(session: Session, model: str) -> bool:
    """Whether any paper has a vector of ``model``: asked again only when the data version moved (on
    PostgreSQL a round trip; the version is read once per session anyway, for the indexes)."""
    version = version_seen_by(session)
    key = (str(session.get_bind().engine.url), model)  # the same as Database.engine's
    kept = _VECTORS_EXIST.get(key)
    if kept is not None and unchanged_since(version, kept[0]):
        return kept[1]
    found = has_vectors(session, model)
    _VECTORS_EXIST[key] = (version, found)
    return found


_VECTORS_EXIST: dict[tuple[str, str], tuple[DataVersion, bool]] = {}


def _semantic_side(
    db: Database, model: str, text: str, limit: int, filters: SearchFilters
) -> tuple[np.ndarray, list[tuple[str, float]]] | None:
    """The query's embedding and its nearest papers, in a session of its own (it runs in another thread);
    None while nothing is embedded with ``model`` (then the model is not even loaded).

    Once vectors are known to exist, the query is embedded before a connection is taken from the pool, so
    that a connection is held only while the database is asked."""
    known = _VECTORS_EXIST.get((str(db.engine.url), model))
    if known is None or not known[1]:
        with db.read_session() as session:
            if not _vectors_exist(session, model):
                return None
    vector = query_vector_of(model, text)
    with db.read_session() as session:
        if not _vectors_exist(session, model):
            return None
        return vector, semantic.nearest(session, model, vector, limit=limit, filters=filters)


@lru_cache(maxsize=1024)
def query_vector_of(model: str, text: str) -> np.ndarray:
    """A query's embedding, kept: the next page of results, a feed reader polling a search, the same popular
    query from many readers cost no model run. Keyed by the model too, so a new model misses."""
    vector = get_encoder().encode([text])[0]
    vector.setflags(write=False)
    return vector


def warm_up(db: Database) -> None:
    """Load the encoder, bring the keyword index up to date and open the vector index at start-up.

    All are lazy. The keyword index catches up with what changed while the node was down (or was never
    built); the vector index maps its saved generation (seconds) or, the first time at a large corpus, builds
    one (minutes at 1M papers, benchmarks/results/search_speed.md), which must not be the first visitor's
    wait. The web app runs this in a background thread at start-up; a failure only costs the warm start, so
    it is logged, not raised.
    """
    try:
        refresh_keyword_index(db)
        search_papers(db, "warm up", mode="semantic", limit=1)
    except Exception:  # noqa: BLE001 - best effort, see docstring
        logging.getLogger(__name__).exception("warming up search failed; the first search will be slower")


def refresh_keyword_index(db: Database) -> bool:
    """Check the keyword index against the database now (count and marks) and repair it; True when it answers.

    A large backlog (a new node) is indexed in a background thread; searches use the database meanwhile.
    """
    with db.session() as session:
        return keyword.current_index(session, full_check=True) is not None


def rebuild_keyword_index(db: Database, *, on_progress: Callable[[int], None] | None = None) -> int:
    """Index every paper again from scratch (``paperfeed reindex --keyword``); returns how many."""
    with db.session() as session:
        kept = kept_index(str(session.get_bind().engine.url), keyword.title_repeat())
        return kept.rebuild(session, on_progress=on_progress)


def rebuild_vector_index(db: Database) -> int:
    """Build and save this database's vector index generation from scratch; returns how many vectors."""
    return vector_index.rebuild_saved(db.url, current_model_key(), db)


def similar_papers(db: Database, paper_id: str, *, limit: int = 10) -> list[SearchHit]:
    """Papers most like ``paper_id`` (by vector; by its title's words while it has no vector yet)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}.")
    model = current_model_key()
    with db.read_session() as session:
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

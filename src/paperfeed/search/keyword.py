"""Keyword search: BM25 with field weights, one interface over two engines.

The engine is the on-disk index (:mod:`keyword_index`, tantivy, dynamic pruning), kept in step with the
database by :mod:`keyword_sync`; while it is missing or far behind (a new node, a rebuild) the database's
own FTS5 / tsvector index (:mod:`keyword_db`) answers. ``ENGINE = "database"`` forces the latter (the
"before" of benchmarks/search_speed.py). Field weights follow the issue: a word in the title counts most,
then authors, then the abstract. The title weight was chosen on one half of SciFact's queries
(benchmarks/search_quality.py, from 1, 2, 3, 5); authors sit between title and abstract (SciFact has no
authors to tune them on).
"""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.search import keyword_db
from paperfeed.search.filters import SearchFilters, filter_sql
from paperfeed.search.keyword_db import without_common_terms  # noqa: F401 - part of this interface
from paperfeed.search.keyword_sync import KeptIndex, kept_index
from paperfeed.search.query import ParsedQuery

log = logging.getLogger(__name__)
TITLE_WEIGHT, AUTHORS_WEIGHT, ABSTRACT_WEIGHT = 2.0, 1.5, 1.0
ENGINE = "index"  # "index" (on-disk, pruned) or "database" (FTS5 / tsvector)


def keyword_search(
    session: Session, query: ParsedQuery, *, limit: int, filters: SearchFilters = SearchFilters()
) -> list[tuple[str, float]]:
    """``(paper id, score)`` pairs, best first; higher scores are better with either engine."""
    if not query.terms or limit <= 0:
        return []
    weights = (TITLE_WEIGHT, AUTHORS_WEIGHT, ABSTRACT_WEIGHT)
    index = current_index(session)
    if index is None:
        return keyword_db.keyword_search(session, query, limit=limit, filters=filters, weights=weights)
    return index.index.search(query.terms, limit=limit, filters=filters, weights=weights)


def title_repeat() -> int:
    """The on-disk index weighs the title by repeating it (one BM25 field, as FTS5 scores a row)."""
    return max(1, round(TITLE_WEIGHT))


def current_index(session: Session, *, full_check: bool = False) -> KeptIndex | None:
    """The database's on-disk index once it is up to date (brought up to date here when cheap), else None.

    Checked once per session once it answers: a search asks up to five times (words, rarity, exact matches,
    count, "did you mean"), and on PostgreSQL each check is a round trip."""
    if ENGINE != "index":
        return None
    checked = session.info.get(_CHECKED)
    if checked is not None and not full_check:
        return checked
    try:
        kept = kept_index(str(session.get_bind().engine.url), title_repeat())
        current = kept if kept.ready(session, full_check=full_check) else None
    except (OSError, ValueError):  # an unwritable folder, an in-memory database: the database answers
        log.exception("the keyword index is unavailable; searching the database's own index")
        current = None
    if current is not None:  # an index not ready yet is asked again: it may be by the next call
        session.info[_CHECKED] = current
    return current


_CHECKED = "paperfeed.keyword_index"  # the session's up-to-date index


def estimated_matches(session: Session, query: ParsedQuery) -> int | None:
    """About how many papers contain any query word (None when only the database's index is at hand)."""
    index = current_index(session)
    return None if index is None else index.index.estimated_matches(query.terms)


def rarity(session: Session, query: ParsedQuery) -> float | None:
    """How rare the query's words are: mean IDF over the largest possible, 0-1 (None without the index)."""
    index = current_index(session)
    return None if index is None else index.index.rarity(query.terms)


def did_you_mean(session: Session, query: ParsedQuery) -> str | None:
    """The query with unknown words replaced by close words of the papers' titles, or None."""
    index = current_index(session)
    if index is None:
        return None
    words = re.findall(r"[^\W_]+", query.text.lower())
    suggested = index.index.suggestion(words)
    return " ".join(suggested) if suggested else None


def exact_matches(
    session: Session, query: ParsedQuery, filters: SearchFilters = SearchFilters()
) -> list[str]:
    """Papers the query names exactly (by arXiv id, or by whole title in any case) that pass the filters."""
    where, params = filter_sql(filters, session.get_bind().dialect.name)
    found: list[str] = []
    if query.arxiv_id:
        row = session.execute(
            sa.text(f"SELECT p.id FROM papers p WHERE p.id = :id{where}"), params | {"id": query.arxiv_id}
        ).first()
        if row:
            found.append(row[0])
    title = query.text.strip().rstrip(".").lower()
    if len(title) >= 8:
        rows = session.execute(
            sa.text(
                f"SELECT p.id FROM papers p WHERE lower(p.title) IN (:t, :t_dot){where} ORDER BY p.id LIMIT 5"
            ),
            params | {"t": title, "t_dot": title + "."},
        )
        found.extend(r[0] for r in rows if r[0] not in found)
    return found

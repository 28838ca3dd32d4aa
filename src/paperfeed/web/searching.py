"""One place that turns query-string filters into a call of the search service (pages, API, feeds)."""

from __future__ import annotations

from datetime import date

from paperfeed.services.search import SearchError, SearchFilters, SearchResults, search_papers
from paperfeed.store import Database

MODES = ("hybrid", "keyword", "semantic")


def run_search(
    db: Database,
    q: str,
    *,
    mode: str = "hybrid",
    date_from: str = "",
    date_to: str = "",
    category: str = "",
    author: str = "",
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Search with filters given as text; a bad date or mode raises :class:`SearchError` naming it."""
    if mode not in MODES:
        raise SearchError(f"mode {mode!r} is not one of {', '.join(MODES)}")
    filters = SearchFilters(
        date_from=_day("from", date_from),
        date_to=_day("to", date_to),
        categories=tuple(c.strip() for c in category.split(",") if c.strip()),
        author=author.strip() or None,
    )
    return search_papers(db, q, mode=mode, limit=limit, offset=offset, filters=filters)


def _day(name: str, text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise SearchError(f"{name} date {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-06-30") from None

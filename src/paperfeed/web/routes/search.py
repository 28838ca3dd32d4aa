"""The search page: hybrid search with date and category filters, cards in the daily-page form."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.services import feed
from paperfeed.services.search import SearchError, SearchResults
from paperfeed.web.reader_interests import card_marks
from paperfeed.web.searching import MODES, run_search
from paperfeed.web.security import get_db
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
PER_PAGE = 20


@router.get("/search")
def search_page(
    request: Request,
    q: str = "",
    mode: str = "hybrid",
    category: str = "",
    author: str = "",
    page: int = 1,
    date_from: str = "",
    date_to: str = "",
) -> Response:
    # "from" is a Python keyword, so the two dates are read from the query string by hand.
    date_from = request.query_params.get("from", date_from)
    date_to = request.query_params.get("to", date_to)
    form = {"q": q, "mode": mode, "category": category, "author": author, "from": date_from, "to": date_to}
    results: SearchResults | None = None
    error = None
    cards: list[feed.PaperCard] = []
    if q.strip():
        try:
            results = run_search(
                get_db(request),
                q,
                mode=mode,
                date_from=date_from,
                date_to=date_to,
                category=category,
                author=author,
                limit=PER_PAGE,
                offset=(max(page, 1) - 1) * PER_PAGE,
            )
            cards = feed.cards_for(get_db(request), [hit.paper for hit in results.hits])
        except SearchError as problem:
            error = str(problem)
    if results is not None and results.exact_id and page <= 1:  # an arXiv id typed in: straight to the paper
        return RedirectResponse(f"/papers/{quote(results.exact_id)}", status_code=303)
    status = 400 if error else 200
    return render(
        request,
        "search.html",
        status_code=status,
        form=form,
        cards=cards,
        error=error,
        results=results,
        modes=MODES,
        page=max(page, 1),
        per_page=PER_PAGE,
        **card_marks(request, cards),
    )

"""The reading pages: the daily/weekly/monthly listings, trending and a paper's own page."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.domain.bibtex import bibtex_entry
from paperfeed.rank.trending import FORMULA, GRAVITY
from paperfeed.services import authors, community, feed
from paperfeed.services.feed import PERSONAL_SORT, FeedError, Period, PeriodKind
from paperfeed.services.reader_signals import has_interests
from paperfeed.services.search import SearchError, similar_papers
from paperfeed.web.reader_interests import card_marks, followed_on_paper
from paperfeed.web.security import LoginRequired, current_user, get_db, paper_id_from_path, today
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
TRENDING_WINDOW_DAYS = 7


@router.get("/")
def home(request: Request, sort: str | None = None, page: int = 1, cat: str | None = None) -> Response:
    """Today's papers, or those of the latest day that has any (arXiv does not list on weekends)."""
    day = feed.latest_day(get_db(request), today(request)) or today(request)
    return _listing(request, feed.period_of("day", day), sort, page, cat)


@router.get("/papers/date/{key}")
def daily(
    request: Request, key: str, sort: str | None = None, page: int = 1, cat: str | None = None
) -> Response:
    return _listing(request, _period("day", key), sort, page, cat)


@router.get("/papers/week/{key}")
def weekly(
    request: Request, key: str, sort: str | None = None, page: int = 1, cat: str | None = None
) -> Response:
    return _listing(request, _period("week", key), sort, page, cat)


@router.get("/papers/month/{key}")
def monthly(
    request: Request, key: str, sort: str | None = None, page: int = 1, cat: str | None = None
) -> Response:
    return _listing(request, _period("month", key), sort, page, cat)


@router.get("/trending")
def trending(request: Request) -> Response:
    now: datetime = request.app.state.clock()
    cards = feed.trending_cards(get_db(request), now=now, window_days=TRENDING_WINDOW_DAYS)
    return render(
        request,
        "trending.html",
        cards=cards,
        formula=FORMULA,
        gravity=GRAVITY,
        window_days=TRENDING_WINDOW_DAYS,
        **card_marks(request, cards),
    )


@router.get("/papers/{arxiv_id:path}/bibtex")
def paper_bibtex(request: Request, arxiv_id: str) -> Response:
    """The paper's BibTeX entry as a ``.bib`` download (the page shows the same text to copy)."""
    paper_id = paper_id_from_path(arxiv_id)
    detail = feed.paper_detail(get_db(request), paper_id)
    if detail is None:
        raise HTTPException(404, f"No paper {paper_id} here yet. Submit it from the daily page to add it.")
    return Response(
        bibtex_entry(detail.card.paper),
        media_type="application/x-bibtex; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{paper_id.replace("/", "_")}.bib"'},
    )


@router.get("/papers/{arxiv_id:path}")
def paper(request: Request, arxiv_id: str) -> Response:
    paper_id = paper_id_from_path(arxiv_id)
    db = get_db(request)
    detail = feed.paper_detail(db, paper_id)
    if detail is None:
        raise HTTPException(404, f"No paper {paper_id} here yet. Submit it from the daily page to add it.")
    try:
        similar = feed.cards_for(db, [hit.paper for hit in similar_papers(db, paper_id, limit=6)])
    except SearchError:
        similar = []
    user = current_user(request)
    by_authors = authors.more_by_authors(db, detail.card.paper)
    return render(
        request,
        "paper.html",
        detail=detail,
        card=detail.card,
        bibtex=bibtex_entry(detail.card.paper),
        by_authors=by_authors,
        similar=similar,
        # a hidden comment keeps its text for its author; moderators read it on /admin
        comments=community.list_comments(db, paper_id, viewer_id=user.id if user else None),
        **card_marks(request, [detail.card, *by_authors, *similar]),
        followed=followed_on_paper(db, user.id, detail.card.paper) if user else set(),
    )


def _period(kind: PeriodKind, key: str) -> Period:
    try:
        return feed.parse_period(kind, key)
    except FeedError as error:
        raise HTTPException(400, str(error)) from None


def _tab(kind: PeriodKind, period: Period) -> Period | None:
    """The ``kind`` of period around ``period``; None for the week and month of 9999-12-31, which end past
    the last date Python has (the day page is still there, without those two tabs)."""
    try:
        return feed.period_of(kind, period.first)
    except OverflowError:
        return None


def _listing(
    request: Request, period: Period, chosen: str | None, page: int, cat: str | None = None
) -> Response:
    """``chosen`` is the sort in the URL; without one, a reader who told us their interests gets "For you"
    and everyone else "upvotes". The chosen sort and category are carried along by the arrows, tabs and
    pager. A page past the end answers 404 with a link to the last page."""
    db, user = get_db(request), current_user(request)
    if chosen == PERSONAL_SORT and user is None:
        raise LoginRequired(f"{request.url.path}?sort={PERSONAL_SORT}")
    sort = chosen or (PERSONAL_SORT if user is not None and has_interests(db, user.id) else "upvotes")
    try:
        listing = feed.feed_page(
            db,
            period,
            sort=sort,
            page=page,
            now=request.app.state.clock(),
            reader=user.id if user else None,
            category=cat,
        )
    except FeedError as error:
        raise HTTPException(400, str(error)) from None
    tabs = {kind: tab for kind in ("day", "week", "month") if (tab := _tab(kind, period)) is not None}
    kept = {"sort": chosen, "cat": listing.category}

    def query(**changes: str | int | None) -> str:
        """The query string of a link on this listing: the chosen sort and category, with ``changes``."""
        merged = {**kept, **changes}
        params = {k: v for k, v in merged.items() if v not in (None, "") and not (k == "page" and v == 1)}
        return f"?{urlencode(params)}" if params else ""

    return render(
        request,
        "daily.html",
        status_code=404 if listing.beyond_end else 200,
        listing=listing,
        period=period,
        tabs=tabs,
        keep_sort=query(),
        query=query,
        **card_marks(request, listing.cards),
    )

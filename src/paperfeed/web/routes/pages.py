"""The reading pages: the daily/weekly/monthly listings, trending and a paper's own page."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.rank.trending import FORMULA, GRAVITY
from paperfeed.services import community, feed
from paperfeed.services.feed import FeedError, Period, PeriodKind
from paperfeed.services.search import SearchError, similar_papers
from paperfeed.web.security import current_user, get_db, paper_id_from_path, today
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
TRENDING_WINDOW_DAYS = 7


@router.get("/")
def home(request: Request, sort: str = "upvotes", page: int = 1) -> Response:
    """Today's papers, or those of the latest day that has any (arXiv does not list on weekends)."""
    day = feed.latest_day(get_db(request), today(request)) or today(request)
    return _listing(request, feed.period_of("day", day), sort, page)


@router.get("/papers/date/{key}")
def daily(request: Request, key: str, sort: str = "upvotes", page: int = 1) -> Response:
    return _listing(request, _period("day", key), sort, page)


@router.get("/papers/week/{key}")
def weekly(request: Request, key: str, sort: str = "upvotes", page: int = 1) -> Response:
    return _listing(request, _period("week", key), sort, page)


@router.get("/papers/month/{key}")
def monthly(request: Request, key: str, sort: str = "upvotes", page: int = 1) -> Response:
    return _listing(request, _period("month", key), sort, page)


@router.get("/trending")
def trending(request: Request) -> Response:
    now: datetime = request.app.state.clock()
    cards = feed.trending_cards(get_db(request), now=now, window_days=TRENDING_WINDOW_DAYS)
    return render(request, "trending.html", cards=cards, voted=voted_ids(request, cards), formula=FORMULA,
                  gravity=GRAVITY, window_days=TRENDING_WINDOW_DAYS)


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
    return render(
        request, "paper.html", detail=detail, card=detail.card, similar=similar,
        comments=community.list_comments(db, paper_id), voted=voted_ids(request, [detail.card]),
    )


def _period(kind: PeriodKind, key: str) -> Period:
    try:
        return feed.parse_period(kind, key)
    except FeedError as error:
        raise HTTPException(400, str(error)) from None


def _listing(request: Request, period: Period, sort: str, page: int) -> Response:
    try:
        listing = feed.feed_page(get_db(request), period, sort=sort, page=page, now=request.app.state.clock())
    except FeedError as error:
        raise HTTPException(400, str(error)) from None
    tabs = {kind: feed.period_of(kind, period.first) for kind in ("day", "week", "month")}
    return render(request, "daily.html", listing=listing, period=period, tabs=tabs,
                  voted=voted_ids(request, listing.cards))


def voted_ids(request: Request, cards: list[feed.PaperCard]) -> set[str]:
    user = current_user(request)
    if user is None:
        return set()
    return community.voted_papers(get_db(request), user.id, [c.paper.id for c in cards])

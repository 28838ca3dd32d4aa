"""RSS 2.0 and Atom for every listing: a day/week/month page, trending, and any search."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from paperfeed.services import feed
from paperfeed.services.feed import FeedError, PaperCard, PeriodKind
from paperfeed.services.search import SearchError
from paperfeed.web.routes.pages import TRENDING_WINDOW_DAYS
from paperfeed.web.searching import run_search
from paperfeed.web.security import get_db
from paperfeed.web.syndication import FeedItem, atom, rss
from paperfeed.web.templating import PERIOD_PATHS, period_url

router = APIRouter(include_in_schema=False)
MEDIA = {"rss": "application/rss+xml; charset=utf-8", "atom": "application/atom+xml; charset=utf-8"}
KINDS: dict[str, PeriodKind] = {path: kind for kind, path in PERIOD_PATHS.items()}


@router.get("/papers/{path}/{key}/{fmt}")
def period_feed(request: Request, path: str, key: str, fmt: str) -> Response:
    if path not in KINDS or fmt not in MEDIA:
        raise HTTPException(404, "Feeds are at /papers/date|week|month/<key>/rss or /atom.")
    try:
        period = feed.parse_period(KINDS[path], key)
        listing = feed.feed_page(get_db(request), period, page_size=100, now=request.app.state.clock())
    except FeedError as error:
        raise HTTPException(400, str(error)) from None
    title = f"paperfeed — papers of {period.label}"
    return feed_document(request, fmt, title, period_url(period), listing.cards)


@router.get("/trending.{fmt}")
def trending_feed(request: Request, fmt: str) -> Response:
    now: datetime = request.app.state.clock()
    cards = feed.trending_cards(get_db(request), now=now, window_days=TRENDING_WINDOW_DAYS)
    return feed_document(request, fmt, "paperfeed — trending papers", "/trending", cards)


@router.get("/search.{fmt}")
def search_feed(
    request: Request, fmt: str, q: str = "", mode: str = "hybrid", category: str = ""
) -> Response:
    if not q.strip():
        raise HTTPException(400, "Add a query: /search.atom?q=diffusion")
    params = request.query_params
    try:
        results = run_search(
            get_db(request),
            q,
            mode=mode,
            category=category,
            limit=50,
            date_from=params.get("from", ""),
            date_to=params.get("to", ""),
        )
    except SearchError as error:
        raise HTTPException(400, str(error)) from None
    cards = [PaperCard(hit.paper, 0) for hit in results.hits]
    return feed_document(request, fmt, f"paperfeed — search: {q}", f"/search?{params}", cards)


def feed_document(request: Request, fmt: str, title: str, page_path: str, cards: list[PaperCard]) -> Response:
    """An RSS or Atom document of ``cards`` (each item's text starts with the card's reasons, if any)."""
    if fmt not in MEDIA:
        raise HTTPException(404, f"Unknown feed format {fmt!r}; use rss or atom.")
    base = str(request.base_url).rstrip("/")
    items = [FeedItem(c.paper, f"{base}/papers/{c.paper.id}", _day(c), c.reasons) for c in cards]
    self_url = str(request.url)
    if fmt == "rss":
        body = rss(title, base + page_path, self_url, f"{title}, from paperfeed.", items)
    else:
        body = atom(title, base + page_path, self_url, items)
    return Response(body, media_type=MEDIA[fmt])


def _day(card: PaperCard) -> date | None:
    return card.entry.featured_on if card.entry else card.paper.published

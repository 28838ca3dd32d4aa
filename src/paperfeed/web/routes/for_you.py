"""The reader's own pages: ``/for-you``, onboarding, the interests settings, and the personal feeds.

The personal feeds (``/feeds/for-you/{token}.rss|.atom``) are opened by feed readers, which send no cookies,
so the secret token in the URL is the reader's identity; the answer is marked private and never cached.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.services import accounts, feed, interests
from paperfeed.services.accounts import User
from paperfeed.services.feed import PERSONAL_SORT, FeedError, FeedPage, PeriodKind
from paperfeed.services.reader_overview import interests_overview
from paperfeed.services.search import SearchError
from paperfeed.services.stats import category_counts
from paperfeed.store import Database
from paperfeed.web.reader_interests import card_marks
from paperfeed.web.routes.feeds import feed_document
from paperfeed.web.searching import run_search
from paperfeed.web.security import get_db, require_user, today
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
PERIOD_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month")
FOR_YOU_PAGE = 30  # the top of the reader's order; more pages follow
FEED_SIZE = 50
SEED_RESULTS = 10


def personal_listing(
    request: Request,
    db: Database,
    reader: int,
    kind: str,
    *,
    page: int = 1,
    page_size: int = FOR_YOU_PAGE,
) -> FeedPage:
    """The reader's order of the latest day (or its week, or month) that has papers."""
    if kind not in PERIOD_KINDS:
        raise HTTPException(400, f"period {kind!r} is not one of {', '.join(PERIOD_KINDS)}")
    day = feed.latest_day(db, today(request)) or today(request)
    now: datetime = request.app.state.clock()
    try:
        return feed.feed_page(
            db,
            feed.period_of(kind, day),
            sort=PERSONAL_SORT,
            page=page,
            page_size=page_size,
            now=now,
            reader=reader,
        )
    except FeedError as error:
        raise HTTPException(400, str(error)) from None


@router.get("/for-you")
def for_you(
    request: Request,
    period: str = "day",
    page: int = 1,
    user: User = Depends(require_user),
) -> Response:
    listing = personal_listing(request, get_db(request), user.id, period, page=page)
    return render(
        request, "for_you.html", listing=listing, kinds=PERIOD_KINDS, **card_marks(request, listing.cards)
    )


@router.get("/onboarding")
def onboarding(request: Request, q: str = "", user: User = Depends(require_user)) -> Response:
    """Three ways to tell paperfeed what one reads: categories, a few seed papers (👍), a library file."""
    db = get_db(request)
    cards: list[feed.PaperCard] = []
    error = None
    if q.strip():
        try:
            cards = feed.cards_for(db, [hit.paper for hit in run_search(db, q, limit=SEED_RESULTS).hits])
        except SearchError as problem:
            error = str(problem)
    return render(
        request,
        "onboarding.html",
        status_code=400 if error else 200,
        q=q,
        cards=cards,
        error=error,
        categories=category_counts(db),
        follows=interests.follows_of(db, user.id),
        **card_marks(request, cards),
    )


@router.get("/settings/interests")
def settings(request: Request, user: User = Depends(require_user)) -> Response:
    notice = request.session.pop("notice", None)
    return render(
        request,
        "interests.html",
        overview=interests_overview(get_db(request), user.id),
        feed_token=None,
        notice=notice,
    )


@router.get("/feeds/for-you/{token}.{fmt}")
def personal_feed(request: Request, token: str, fmt: str) -> Response:
    """The token's reader's top papers of the latest day, each item saying why."""
    db = get_db(request)
    reader = accounts.user_for_feed_token(db, token)
    if reader is None:
        raise HTTPException(
            404,
            "This personal feed URL is unknown or was revoked; create a new one under "
            "Settings → Your interests.",
        )
    listing = personal_listing(request, db, reader.id, "day", page_size=FEED_SIZE)
    title = f"paperfeed — for {reader.username}, {listing.period.label}"
    response = feed_document(request, fmt, title, "/for-you", listing.cards)
    response.headers["Cache-Control"] = "private, no-store"
    return response

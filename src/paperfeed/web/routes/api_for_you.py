"""``GET /api/for-you``: the token's reader's personal order of a listing, with scores and reasons."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from paperfeed.services import feed
from paperfeed.services.accounts import User
from paperfeed.services.feed import PERSONAL_SORT, FeedError
from paperfeed.web.api_models import ForYouItem, for_you_item
from paperfeed.web.routes.api import listing_period
from paperfeed.web.security import api_user, get_db

router = APIRouter(prefix="/api", tags=["for you"])


@router.get(
    "/for-you",
    response_model=list[ForYouItem],
    responses={401: {"description": "no or unknown API token"}, 400: {"description": "a bad period"}},
)
def for_you(
    request: Request,
    date: str | None = Query(None, description="YYYY-MM-DD; default: the latest day with papers"),
    week: str | None = Query(None, description="YYYY-Www"),
    month: str | None = Query(None, description="YYYY-MM"),
    p: int = Query(0, ge=0, description="page number, from 0"),
    limit: int = Query(50, ge=1, le=100),
    user: User = Depends(api_user),
) -> list[ForYouItem]:
    """The papers of a day, week or month in the reader's personal order (``Authorization: Bearer pf_…``).

    Papers the reader dismissed (👎) are left out. Until the reader has rated, followed or imported
    anything, ``score`` is null and the order is trending."""
    period = listing_period(request, date, week, month)
    now: datetime = request.app.state.clock()
    try:
        listing = feed.feed_page(
            get_db(request), period, sort=PERSONAL_SORT, page=p + 1, page_size=limit, now=now, reader=user.id
        )
    except FeedError as error:
        raise HTTPException(400, str(error)) from None
    return [for_you_item(card) for card in listing.cards]

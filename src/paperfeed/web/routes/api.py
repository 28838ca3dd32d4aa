"""The JSON API (OpenAPI at /api/openapi.json, docs at /api/docs). Writes need a Bearer token.

Every error answers ``{"detail": "<a sentence>"}`` (:class:`ErrorOut`), validation errors (422) included, and
:func:`openapi_document` says so for every operation, with the Bearer scheme on those that need a token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from paperfeed.domain.arxiv_id import InvalidArxivId
from paperfeed.ingest.http import SourceUnavailable
from paperfeed.services import community, feed, submissions
from paperfeed.services.accounts import User
from paperfeed.services.community import UnknownPaper
from paperfeed.services.feed import FeedError, Period, PeriodKind
from paperfeed.services.search import SearchError, similar_papers
from paperfeed.services.search import UnknownPaper as NoSuchPaper
from paperfeed.services.submit import PaperNotFound, submit_paper
from paperfeed.store import Database
from paperfeed.web.api_models import (
    DailyItem,
    ErrorOut,
    PaperOut,
    SubmitIn,
    VoteOut,
    daily_item,
    paper_out,
)
from paperfeed.web.searching import MODES, run_search
from paperfeed.web.security import api_user, get_db, paper_id_from_path, rate_limit, today


def _errors(**described: str) -> dict[int | str, dict[str, Any]]:
    return {
        int(code.removeprefix("e")): {"model": ErrorOut, "description": text}
        for code, text in described.items()
    }


router = APIRouter(prefix="/api", tags=["papers"], responses=_errors(e400="a malformed parameter"))
UNKNOWN = _errors(e404="no paper with this id is stored here")
WRITE = _errors(e401="no API token, or an unknown one", e429="too many writes; see Retry-After")
SORTS = {"publishedAt": "newest", "trending": "trending", "upvotes": "upvotes"}


@router.get("/daily_papers", response_model=list[DailyItem])
def daily_papers(
    request: Request,
    date: str | None = Query(None, description="YYYY-MM-DD; default: the latest day with papers"),
    week: str | None = Query(None, description="YYYY-Www"),
    month: str | None = Query(None, description="YYYY-MM"),
    sort: str = Query(
        "upvotes", description="publishedAt | trending | upvotes", json_schema_extra={"enum": list(SORTS)}
    ),  # a str: a wrong one is our own 400
    p: int = Query(0, ge=0, description="page number, from 0"),
    limit: int = Query(50, ge=1, le=100),
) -> list[DailyItem]:
    if sort not in SORTS:
        raise HTTPException(400, f"sort {sort!r} is not one of {', '.join(SORTS)}")
    period = listing_period(request, date, week, month)
    now: datetime = request.app.state.clock()
    try:
        listing = feed.feed_page(
            get_db(request), period, sort=SORTS[sort], page=p + 1, page_size=limit, now=now
        )
    except FeedError as error:
        raise HTTPException(400, str(error)) from None
    return [daily_item(card) for card in listing.cards]


@router.get("/papers/search", response_model=list[DailyItem])
def search(
    request: Request,
    q: str = Query(..., description="words, a title or an arXiv id"),
    limit: int = Query(20, ge=1, le=100),
    mode: str = Query("hybrid", description="hybrid | keyword | semantic", json_schema_extra={"enum": MODES}),
) -> list[DailyItem]:
    try:
        results = run_search(get_db(request), q, mode=mode, limit=limit)
    except SearchError as error:
        raise HTTPException(400, str(error)) from None
    return [daily_item(card) for card in feed.cards_for(get_db(request), [h.paper for h in results.hits])]


@router.post(
    "/papers/submit",
    response_model=PaperOut,
    status_code=201,
    responses={
        **WRITE,
        **_errors(e413="the body is over 1 MB", e503="arXiv could not be reached; retry later"),
    },
)
def submit(request: Request, body: SubmitIn, user: User = Depends(api_user)) -> PaperOut:
    rate_limit("submit", request, key=f"user:{user.id}")
    settings = request.app.state.settings
    if settings.submissions_need_approval:  # held like a web submission: stored, featured once approved
        try:
            queued = submissions.submit(
                get_db(request), body.paper, submitted_by=user.username, user_id=user.id, today=today(request)
            )
        except InvalidArxivId as error:
            raise HTTPException(400, str(error)) from None
        held = submissions.run_now(get_db(request), settings, queued.id)
        if held.status == submissions.FAILED:
            unreachable = (held.error or "").startswith("arXiv could not be reached")
            raise HTTPException(503 if unreachable else 400, held.error or "the submission failed")
        return _paper(request, held.paper_id)
    try:
        stored = submit_paper(get_db(request), body.paper, submitted_by=user.username, today=today(request))
    except (InvalidArxivId, PaperNotFound) as error:
        raise HTTPException(400, str(error)) from None
    except SourceUnavailable as error:
        raise HTTPException(503, f"arXiv could not be reached; nothing was stored ({error}).") from None
    return _paper(request, stored.id)


@router.get("/papers/{paper_id:path}/similar", response_model=list[PaperOut], responses=UNKNOWN)
def similar(request: Request, paper_id: str, limit: int = Query(10, ge=1, le=50)) -> list[PaperOut]:
    pid = _known_id(request, paper_id)
    try:
        hits = similar_papers(get_db(request), pid, limit=limit)
    except NoSuchPaper as error:
        raise HTTPException(404, str(error)) from None
    except SearchError as error:
        raise HTTPException(400, str(error)) from None
    return [paper_out(card) for card in feed.cards_for(get_db(request), [h.paper for h in hits])]


@router.post("/papers/{paper_id:path}/upvote", response_model=VoteOut, responses={**WRITE, **UNKNOWN})
def upvote(request: Request, paper_id: str, user: User = Depends(api_user)) -> VoteOut:
    return _vote(request, paper_id, user, community.upvote)


@router.delete("/papers/{paper_id:path}/upvote", response_model=VoteOut, responses={**WRITE, **UNKNOWN})
def unvote(request: Request, paper_id: str, user: User = Depends(api_user)) -> VoteOut:
    return _vote(request, paper_id, user, community.remove_upvote)


@router.get("/papers/{paper_id:path}", response_model=PaperOut, responses=UNKNOWN)
def paper(request: Request, paper_id: str) -> PaperOut:
    return _paper(request, _known_id(request, paper_id))


def _vote(
    request: Request, paper_id: str, user: User, action: Callable[[Database, int, str], community.VoteResult]
) -> VoteOut:
    rate_limit("vote", request, key=f"user:{user.id}")
    try:
        result = action(get_db(request), user.id, _known_id(request, paper_id))
    except UnknownPaper as error:
        raise HTTPException(404, str(error)) from None
    return VoteOut(paper=result.paper_id, upvotes=result.upvotes, voted=result.voted)


def _known_id(request: Request, text: str) -> str:
    return paper_id_from_path(text, status=400)


def _paper(request: Request, paper_id: str) -> PaperOut:
    detail = feed.paper_detail(get_db(request), paper_id)
    if detail is None:
        raise HTTPException(404, f"No paper with arXiv id {paper_id!r} is stored here.")
    return paper_out(detail.card)


def listing_period(request: Request, day: str | None, week: str | None, month: str | None) -> Period:
    """The period of ``date``, ``week`` or ``month`` (at most one), else the latest day with papers."""
    options: tuple[tuple[PeriodKind, str | None], ...] = (("day", day), ("week", week), ("month", month))
    given = [(kind, key) for kind, key in options if key]
    if len(given) > 1:
        raise HTTPException(400, "Give at most one of date, week and month.")
    try:
        if given:
            return feed.parse_period(given[0][0], given[0][1])
    except FeedError as error:
        raise HTTPException(400, str(error)) from None
    latest = feed.latest_day(get_db(request), today(request)) or today(request)
    return feed.period_of("day", latest)


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's OpenAPI document of ``app``, corrected where it would not match the answers: every
    operation may answer 400 and 422 with :class:`ErrorOut` (FastAPI documents its own 422 shape, which the
    app does not send), and the operations whose dependencies include :func:`api_user` need the Bearer
    scheme and may answer 401, whichever router declares them."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "an API token (pf_…) made on the account page: 'Authorization: Bearer pf_…'",
    }
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", {"description": "a malformed parameter", **error})
            responses["422"] = {"description": "a parameter of the wrong type or out of range", **error}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute) and route.include_in_schema and _depends_on(route.dependant, api_user):
            for method in route.methods or ():  # an APIRoute always has its methods
                operation = schema["paths"][route.path_format][method.lower()]
                operation["security"] = [{"bearer": []}]
                operation["responses"].setdefault(
                    "401", {"description": "no API token, or an unknown one", **error}
                )
    for unused in ("HTTPValidationError", "ValidationError"):
        components.get("schemas", {}).pop(unused, None)
    app.openapi_schema = schema
    return schema


def _depends_on(dependant: Dependant, call: object) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)

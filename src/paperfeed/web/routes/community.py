"""Upvotes, comments, submissions and collections from the browser (session + CSRF token).

Each POST answers JSON to the page's script (``Accept: application/json``) and a redirect to plain forms,
so everything works without JavaScript.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from paperfeed.domain.arxiv_id import InvalidArxivId
from paperfeed.ingest.http import SourceUnavailable
from paperfeed.services import collections, community
from paperfeed.services.collections import CollectionError
from paperfeed.services.community import CommentError, UnknownPaper
from paperfeed.services.submit import PaperNotFound, submit_paper
from paperfeed.web.security import (
    back_path,
    get_db,
    paper_id_from_path,
    rate_limit,
    reader_or_login,
    require_csrf,
    today,
    wants_json,
)

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)],
                   default_response_class=HTMLResponse)


@router.post("/papers/{paper_id:path}/upvote")
def upvote(request: Request, paper_id: str) -> Response:
    return _vote(request, paper_id, community.upvote)


@router.post("/papers/{paper_id:path}/unvote")
def unvote(request: Request, paper_id: str) -> Response:
    return _vote(request, paper_id, community.remove_upvote)


def _vote(request: Request, paper_id: str, action) -> Response:  # type: ignore[no-untyped-def]
    paper_id = paper_id_from_path(paper_id)
    back = back_path(request, f"/papers/{paper_id}")
    user = reader_or_login(request, back)
    rate_limit("vote", request, key=f"user:{user.id}")
    try:
        result = action(get_db(request), user.id, paper_id)
    except UnknownPaper as error:
        raise HTTPException(404, str(error)) from None
    if wants_json(request):
        return JSONResponse({"paper": paper_id, "upvotes": result.upvotes, "voted": result.voted})
    return RedirectResponse(back, status_code=303)


@router.post("/papers/{paper_id:path}/comments")
def comment(request: Request, paper_id: str, body: str = Form("")) -> Response:
    paper_id = paper_id_from_path(paper_id)
    user = reader_or_login(request, f"/papers/{paper_id}")
    rate_limit("comment", request, key=f"user:{user.id}")
    try:
        posted = community.add_comment(get_db(request), user.id, paper_id, body)
    except CommentError as error:
        raise HTTPException(400, str(error)) from None
    except UnknownPaper as error:
        raise HTTPException(404, str(error)) from None
    return RedirectResponse(f"/papers/{paper_id}#comment-{posted.id}", status_code=303)


@router.post("/papers/{paper_id:path}/save")
def save(request: Request, paper_id: str, collection: str = Form("saved")) -> Response:
    paper_id = paper_id_from_path(paper_id)
    user = reader_or_login(request, f"/papers/{paper_id}")
    try:
        saved_to = collections.save_paper(get_db(request), user.id, paper_id, collection)
    except (CollectionError, UnknownPaper) as error:
        raise HTTPException(404, str(error)) from None
    if wants_json(request):
        return JSONResponse({"paper": paper_id, "collection": saved_to.slug})
    return RedirectResponse(back_path(request, f"/collections/{saved_to.slug}"), status_code=303)


@router.post("/submit")
def submit(request: Request, paper: str = Form("")) -> Response:
    """Put a paper on today's page by arXiv id or URL (fetched from the arXiv API)."""
    user = reader_or_login(request, "/")
    rate_limit("submit", request, key=f"user:{user.id}")
    try:
        stored = submit_paper(get_db(request), paper, submitted_by=user.username, today=today(request))
    except (InvalidArxivId, PaperNotFound) as error:
        raise HTTPException(400, str(error)) from None
    except SourceUnavailable as error:
        message = f"arXiv could not be reached, nothing was stored; retry later ({error})."
        raise HTTPException(503, message) from None
    return RedirectResponse(f"/papers/{stored.id}", status_code=303)


@router.post("/collections")
def new_collection(request: Request, name: str = Form("")) -> Response:
    user = reader_or_login(request, "/account")
    try:
        created = collections.create_collection(get_db(request), user.id, name)
    except CollectionError as error:
        raise HTTPException(400, str(error)) from None
    return RedirectResponse(f"/collections/{created.slug}", status_code=303)

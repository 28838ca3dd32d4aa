"""Upvotes, comments, submissions and collections from the browser (session + CSRF token).

Each POST answers JSON to the page's script (``Accept: application/json``) and a redirect to plain forms,
so everything works without JavaScript. A submission is only queued here (the submission worker fetches it
from arXiv), so no request waits on arXiv; its status page ``/submissions/{id}`` follows it. An account an
admin disabled may do none of this.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from paperfeed.domain.arxiv_id import InvalidArxivId
from paperfeed.services import admin, collections, community, submissions
from paperfeed.services.accounts import User
from paperfeed.services.collections import CollectionError
from paperfeed.services.community import CommentError, NotYourComment, UnknownComment, UnknownPaper
from paperfeed.store import Database
from paperfeed.web.security import (
    api_user,
    back_path,
    get_db,
    paper_id_from_path,
    rate_limit,
    reader_or_login,
    require_csrf,
    require_user,
    today,
    wants_json,
)
from paperfeed.web.templating import render

actions = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])
reading = APIRouter(include_in_schema=False)


@actions.post("/papers/{paper_id:path}/upvote")
def upvote(request: Request, paper_id: str) -> Response:
    return _vote(request, paper_id, community.upvote)


@actions.post("/papers/{paper_id:path}/unvote")
def unvote(request: Request, paper_id: str) -> Response:
    return _vote(request, paper_id, community.remove_upvote)


def _vote(
    request: Request, paper_id: str, action: Callable[[Database, int, str], community.VoteResult]
) -> Response:
    paper_id = paper_id_from_path(paper_id)
    back = back_path(request, f"/papers/{paper_id}")
    user = active_reader(request, back)
    rate_limit("vote", request, key=f"user:{user.id}")
    try:
        result = action(get_db(request), user.id, paper_id)
    except UnknownPaper as error:
        raise HTTPException(404, str(error)) from None
    if wants_json(request):
        return JSONResponse({"paper": paper_id, "upvotes": result.upvotes, "voted": result.voted})
    return RedirectResponse(back, status_code=303)


@actions.post("/papers/{paper_id:path}/comments")
def comment(request: Request, paper_id: str, body: str = Form("")) -> Response:
    paper_id = paper_id_from_path(paper_id)
    user = active_reader(request, f"/papers/{paper_id}")
    rate_limit("comment", request, key=f"user:{user.id}")
    try:
        posted = community.add_comment(get_db(request), user.id, paper_id, body)
    except CommentError as error:
        raise HTTPException(400, str(error)) from None
    except UnknownPaper as error:
        raise HTTPException(404, str(error)) from None
    return RedirectResponse(f"/papers/{paper_id}#comment-{posted.id}", status_code=303)


@actions.post("/papers/{paper_id:path}/save")
def save(request: Request, paper_id: str, collection: str = Form("saved")) -> Response:
    paper_id = paper_id_from_path(paper_id)
    user = active_reader(request, f"/papers/{paper_id}")
    try:
        saved_to = collections.save_paper(get_db(request), user.id, paper_id, collection)
    except (CollectionError, UnknownPaper) as error:
        raise HTTPException(404, str(error)) from None
    if wants_json(request):
        return JSONResponse({"paper": paper_id, "collection": saved_to.slug})
    return RedirectResponse(back_path(request, f"/collections/{saved_to.slug}"), status_code=303)


@actions.post("/comments/{comment_id}/edit")
def edit_comment(request: Request, comment_id: int, body: str = Form("")) -> Response:
    user = active_reader(request, back_path(request, "/"))
    rate_limit("comment", request, key=f"user:{user.id}")
    with _comment_errors():
        edited = community.edit_comment(get_db(request), user.id, comment_id, body)
    return RedirectResponse(f"/papers/{edited.paper_id}#comment-{edited.id}", status_code=303)


@actions.post("/comments/{comment_id}/delete")
def delete_comment(request: Request, comment_id: int) -> Response:
    user = active_reader(request, back_path(request, "/"))
    with _comment_errors():
        paper_id = community.delete_comment(get_db(request), user.id, comment_id)
    return RedirectResponse(f"/papers/{paper_id}#comments-h", status_code=303)


@actions.post("/comments/{comment_id}/report")
def report_comment(request: Request, comment_id: int, reason: str = Form("")) -> Response:
    """Report a comment to the admins; reporting it again changes nothing."""
    user = active_reader(request, back_path(request, "/"))
    rate_limit("comment", request, key=f"user:{user.id}")
    db = get_db(request)
    with _comment_errors():
        first = community.report_comment(db, user.id, comment_id, reason)
        comment = community.get_comment(db, comment_id)
    if wants_json(request):
        return JSONResponse({"comment": comment_id, "reported": True, "first_report": first})
    paper_id = comment.paper_id if comment else ""
    return RedirectResponse(f"/papers/{paper_id}?reported={comment_id}#comment-{comment_id}", status_code=303)


@actions.post("/submit")
def submit(request: Request, paper: str = Form("")) -> Response:
    """Queue a paper for today's page by arXiv id or URL; answers at once (303 to its status page, or 202
    with the status as JSON), while the submission worker fetches it from arXiv."""
    user = active_reader(request, "/")
    rate_limit("submit", request, key=f"user:{user.id}")
    try:
        queued = submissions.submit(
            get_db(request), paper, submitted_by=user.username, user_id=user.id, today=today(request)
        )
    except InvalidArxivId as error:
        raise HTTPException(400, str(error)) from None
    where = f"/submissions/{queued.id}"
    if wants_json(request):
        return JSONResponse(_status_json(queued), status_code=202, headers={"Location": where})
    return RedirectResponse(where, status_code=303)


@actions.post("/collections")
def new_collection(request: Request, name: str = Form("")) -> Response:
    user = active_reader(request, "/account")
    try:
        created = collections.create_collection(get_db(request), user.id, name)
    except CollectionError as error:
        raise HTTPException(400, str(error)) from None
    return RedirectResponse(f"/collections/{created.slug}", status_code=303)


@reading.get("/submissions")
def my_submissions(request: Request) -> Response:
    user = require_user(request)
    listed = submissions.list_submissions(get_db(request), user_id=user.id, limit=50)
    return _private(render(request, "submission.html", submission=None, submissions=listed))


@reading.get("/submissions/{submission_id}")
def submission_status(request: Request, submission_id: int) -> Response:
    """The submitter (or an admin) watches a submission: the page reloads itself until it is done.
    Scripts may send their API token instead of a session cookie (and get JSON)."""
    scripted = "authorization" in request.headers
    user = api_user(request) if scripted else require_user(request)
    found = submissions.get_submission(get_db(request), submission_id)
    if found is None or (found.user_id != user.id and not admin.is_admin(get_db(request), user.id)):
        raise HTTPException(404, f"No submission #{submission_id} of yours here.")
    if scripted or wants_json(request):
        return _private(JSONResponse(_status_json(found)))
    return _private(render(request, "submission.html", submission=found, submissions=[]))


def active_reader(request: Request, back: str) -> User:
    """The logged-in user of a POST, unless an admin disabled the account (403)."""
    user = reader_or_login(request, back)
    if admin.is_disabled(get_db(request), user.id):
        raise HTTPException(403, "This account has been disabled by the site's admins.")
    return user


@contextmanager
def _comment_errors() -> Iterator[None]:
    """The comment services' errors as HTTP answers: 400 for bad input, 403 for another's comment, 404."""
    try:
        yield
    except CommentError as error:
        raise HTTPException(400, str(error)) from None
    except NotYourComment as error:
        raise HTTPException(403, str(error)) from None
    except UnknownComment as error:
        raise HTTPException(404, str(error)) from None


def _status_json(found: submissions.Submission) -> dict[str, object]:
    done = found.status == submissions.DONE
    return {
        "id": found.id,
        "status": found.status,
        "label": found.label,  # "awaiting approval" for "awaiting"
        "paper": found.paper_id,
        "featuredOn": found.featured_on.isoformat(),
        "error": found.error,
        "attempts": found.attempts,
        "url": f"/submissions/{found.id}",
        "paperUrl": f"/papers/{found.paper_id}" if done else None,
    }


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
router.include_router(actions)
router.include_router(reading)

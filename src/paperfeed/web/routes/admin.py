"""/admin: accounts, comments, submissions, jobs and figures, for accounts with ``is_admin`` only.

Anyone else gets a 404 (an anonymous visitor is asked to log in first). Every action is a POST with the
CSRF token, done and recorded in the audit log by ``services/admin.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from paperfeed.services import admin, submissions
from paperfeed.services.accounts import User
from paperfeed.services.community import UnknownComment
from paperfeed.services.sync import sync_status
from paperfeed.web.security import LoginRequired, current_user, get_db, require_csrf, today, wants_json
from paperfeed.web.templating import render

pages = APIRouter(include_in_schema=False)
actions = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])

UserAction = Literal["disable", "enable", "promote", "demote", "logout"]
CommentAction = Literal["hide", "unhide", "delete", "dismiss"]


def admin_user(request: Request) -> User:
    """The logged-in admin; 404 for everyone else, so the page does not advertise itself."""
    user = current_user(request)
    if user is None:
        raise LoginRequired(request.url.path)
    if not admin.is_admin(get_db(request), user.id):
        raise HTTPException(404, "Not found.")
    return user


@pages.get("/admin")
def dashboard(request: Request, q: str = "") -> Response:
    admin_user(request)
    db = get_db(request)
    figures = admin.site_figures(db, today=today(request), now=request.app.state.clock())
    response = render(
        request,
        "admin.html",
        sync=sync_status(db),
        figures=figures,
        accounts=admin.list_accounts(db, query=q),
        query=q,
        queue=admin.moderation_queue(db),
        submissions=submissions.list_submissions(db, limit=50),
        awaiting=submissions.list_submissions(db, status=submissions.AWAITING, limit=200),
        need_approval=request.app.state.settings.submissions_need_approval,
        jobs=admin.recent_jobs(db),
        audit=admin.audit_log(db),
        sync_categories=request.app.state.settings.sync_categories,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@actions.post("/admin/users/{user_id}/{action}")
def user_action(request: Request, user_id: int, action: UserAction) -> Response:
    actor = admin_user(request)
    db = get_db(request)
    do: dict[str, Callable[[], object]] = {
        "disable": lambda: admin.set_disabled(db, actor.id, user_id, True),
        "enable": lambda: admin.set_disabled(db, actor.id, user_id, False),
        "promote": lambda: admin.set_admin(db, actor.id, user_id, True),
        "demote": lambda: admin.set_admin(db, actor.id, user_id, False),
        "logout": lambda: admin.force_log_out(db, actor.id, user_id),
    }
    with _admin_errors():
        do[action]()
    return _done(request, "users", user=user_id, action=action)


@actions.post("/admin/comments/{comment_id}/{action}")
def comment_action(request: Request, comment_id: int, action: CommentAction) -> Response:
    actor = admin_user(request)
    db = get_db(request)
    do: dict[str, Callable[[], object]] = {
        "hide": lambda: admin.hide_comment(db, actor.id, comment_id),
        "unhide": lambda: admin.hide_comment(db, actor.id, comment_id, hidden=False),
        "delete": lambda: admin.delete_comment(db, actor.id, comment_id),
        "dismiss": lambda: admin.dismiss_reports(db, actor.id, comment_id),
    }
    with _admin_errors():
        do[action]()
    return _done(request, "comments", comment=comment_id, action=action)


@actions.post("/admin/submissions/{submission_id}/retry")
def retry_submission(request: Request, submission_id: int) -> Response:
    actor = admin_user(request)
    with _admin_errors():
        admin.retry_submission(get_db(request), actor.id, submission_id)
    return _done(request, "submissions", submission=submission_id, action="retry")


@actions.post("/admin/submissions/{submission_id}/approve")
def approve_submission(request: Request, submission_id: int, on: str = Form("")) -> Response:
    """Feature it on the day it was submitted, or today with ``on=today``."""
    actor = admin_user(request)
    with _admin_errors():
        day = today(request) if on == "today" else None
        admin.approve_submission(get_db(request), actor.id, submission_id, day=day)
    return _done(request, "submissions", submission=submission_id, action="approve")


@actions.post("/admin/submissions/{submission_id}/reject")
def reject_submission(request: Request, submission_id: int) -> Response:
    actor = admin_user(request)
    with _admin_errors():
        admin.reject_submission(get_db(request), actor.id, submission_id)
    return _done(request, "submissions", submission=submission_id, action="reject")


@actions.post("/admin/sync")
def sync_now(request: Request) -> Response:
    actor = admin_user(request)
    with _admin_errors():
        admin.start_sync_now(get_db(request), actor.id, request.app.state.settings)
    return _done(request, "jobs", action="sync")


@contextmanager
def _admin_errors() -> Iterator[None]:
    try:
        yield
    except admin.AdminOnly:
        raise HTTPException(404, "Not found.") from None
    except UnknownComment as error:
        raise HTTPException(404, str(error)) from None
    except admin.AdminError as error:
        raise HTTPException(400, str(error)) from None


def _done(request: Request, section: str, **what: object) -> Response:
    if wants_json(request):
        return JSONResponse({"done": True, **what})
    return RedirectResponse(f"/admin#{section}", status_code=303)


router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
router.include_router(pages)
router.include_router(actions)

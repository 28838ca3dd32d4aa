"""Sign up, log in, log out, the account page (API token, collections, the subscribe form), and the
password page (change the password, log out everywhere)."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.mail.outbox import send_pending
from paperfeed.services import accounts, collections, subscriptions
from paperfeed.services.account_notices import notify_address_taken
from paperfeed.services.accounts import AccountError, User
from paperfeed.web.security import (
    LoginGuard,
    end_session,
    get_db,
    log_in_session,
    rate_limit,
    require_csrf,
    require_user,
    safe_next,
)
from paperfeed.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


ONBOARDING = "/onboarding"


@router.get("/signup")
def signup_form(request: Request, next: str = "") -> Response:
    return render(request, "signup.html", next=safe_next(next) if next else "", form={}, error=None)


@router.post("/signup", dependencies=[Depends(require_csrf)])
def signup(
    request: Request,
    background: BackgroundTasks,
    username: str = Form(""),
    password: str = Form(""),
    email: str = Form(""),
    next: str = Form(""),
) -> Response:
    """A new account goes on to onboarding, unless sign-up interrupted the way to somewhere (``next``).
    An address that belongs to another account is left out without saying so; its owner is told by mail."""
    rate_limit("signup", request)
    db = get_db(request)
    try:
        user = accounts.sign_up(db, username, password, email or None)
    except AccountError as error:
        return render(
            request,
            "signup.html",
            status_code=400,
            next=safe_next(next) if next else "",
            error=error,
            form={"username": username, "email": email},
        )
    if email.strip() and user.email is None:
        settings = request.app.state.settings
        notice = notify_address_taken(db, settings, email=email, username=user.username)
        if notice is not None:
            background.add_task(send_pending, db, settings, only_ids=[notice])
    going = safe_next(next) if next else "/"
    response = RedirectResponse(ONBOARDING if going == "/" else going, status_code=303)
    log_in_session(request, user, response)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", next=safe_next(next), form={}, error=None)


@router.post("/login", dependencies=[Depends(require_csrf)])
def login(
    request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")
) -> Response:
    rate_limit("login", request)  # per address
    guard = LoginGuard(request, username)  # per account, or per browser the account logged in from
    try:
        user = accounts.log_in(get_db(request), username, password)
    except AccountError as error:
        guard.failed()
        return render(
            request,
            "login.html",
            status_code=400,
            next=safe_next(next),
            error=error,
            form={"username": username},
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    log_in_session(request, user, response)
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request) -> Response:
    end_session(request)
    return RedirectResponse("/", status_code=303)


@router.get("/account")
def account(request: Request, user: User = Depends(require_user)) -> Response:
    db = get_db(request)
    return render(
        request,
        "account.html",
        token=None,
        has_token=accounts.has_api_token(db, user.id),
        collections=collections.list_collections(db, user.id),
        subscription=subscriptions.subscription_of(db, user.id),
    )


@router.post("/account/token", dependencies=[Depends(require_csrf)])
def new_token(request: Request, user: User = Depends(require_user)) -> Response:
    """The token is shown on this response only; the database keeps just its digest."""
    db = get_db(request)
    token = accounts.new_api_token(db, user.id)
    return render(
        request,
        "account.html",
        token=token,
        has_token=True,
        collections=collections.list_collections(db, user.id),
        subscription=subscriptions.subscription_of(db, user.id),
    )


@router.get("/account/password")
def password_form(request: Request, changed: bool = False, user: User = Depends(require_user)) -> Response:
    return render(request, "password.html", error=None, changed=changed)


@router.post("/account/password", dependencies=[Depends(require_csrf)])
def change_password(
    request: Request,
    current_password: str = Form(""),
    new_password: str = Form(""),
    user: User = Depends(require_user),
) -> Response:
    """Every session of the account ends (an intruder's too); this browser gets a fresh one."""
    rate_limit("password", request, key=f"user:{user.id}", label="password change")
    try:
        accounts.change_password(get_db(request), user.id, current_password, new_password)
    except AccountError as error:
        return render(request, "password.html", status_code=400, error=error, changed=False)
    request.session.pop("auth", None)  # its row is gone already
    response = RedirectResponse("/account/password?changed=true", status_code=303)
    log_in_session(request, user, response)
    return response


@router.post("/account/logout-everywhere", dependencies=[Depends(require_csrf)])
def logout_everywhere(request: Request, user: User = Depends(require_user)) -> Response:
    accounts.revoke_sessions(get_db(request), user.id)
    end_session(request)
    return RedirectResponse("/login", status_code=303)

"""Who is asking and may they: sessions, CSRF, API tokens, rate limits.

CSRF uses a synchronizer token: a random value kept in the signed session cookie and required back with
every state-changing request, in a form field (``csrf_token``) or, from JavaScript, the ``X-CSRF-Token``
header. The API's write endpoints take a Bearer token instead of the cookie, so they need no CSRF token.
"""

from __future__ import annotations

import secrets
from datetime import date
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

from paperfeed.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperfeed.services import accounts
from paperfeed.services.accounts import User
from paperfeed.store import Database

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def get_db(request: Request) -> Database:
    return request.app.state.db


def today(request: Request) -> date:
    return request.app.state.clock().date()


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """Dependency for every cookie-authenticated POST: 403 unless the session's token comes back."""
    expected = request.session.get("csrf")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        sent = (await request.form()).get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "The form's security token is missing or stale; reload the page and retry.")


def current_user(request: Request) -> User | None:
    """The logged-in user, looked up once per request."""
    if not hasattr(request.state, "user"):
        user_id = request.session.get("user_id")
        user = accounts.get_user(get_db(request), user_id) if isinstance(user_id, int) else None
        request.state.user = user
    return request.state.user


class LoginRequired(Exception):
    """Raised for an anonymous visitor where an account is needed; the app answers with a redirect to
    the log-in page (coming back to ``next`` afterwards), or a 401 JSON error for scripts."""

    def __init__(self, next_path: str) -> None:
        super().__init__("Log in first.")
        self.next_path = next_path


def require_user(request: Request) -> User:
    """The logged-in user, else :class:`LoginRequired` (back to where the visitor was going)."""
    user = current_user(request)
    if user is None:
        raise LoginRequired(request.url.path)
    return user


def log_in_session(request: Request, user: User) -> None:
    """Start a fresh session on log-in (a new CSRF token too), so a planted session id is useless."""
    request.session.clear()
    request.session["user_id"] = user.id
    request.state.user = user


def api_user(request: Request) -> User:
    """Dependency for API writes: the user of the ``Authorization: Bearer pf_…`` token, else 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    user = accounts.user_for_token(get_db(request), token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise HTTPException(
            401, "Send an API token as 'Authorization: Bearer pf_…' (create one on your account page).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def safe_next(target: str | None) -> str:
    """Only local paths: an open redirect after log-in would help phishers."""
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return "/"
    return target


def wants_json(request: Request) -> bool:
    """The page's script asked (``Accept: application/json``); plain forms get a redirect instead."""
    return "application/json" in request.headers.get("accept", "")


def back_path(request: Request, default: str) -> str:
    """Where a plain form goes back to after a POST: the page it was on (same site only), else ``default``."""
    referer = request.headers.get("referer", "")
    base = str(request.base_url)
    return safe_next("/" + referer[len(base):]) if referer.startswith(base) else default


def reader_or_login(request: Request, back: str) -> User:
    """The logged-in user of a POST; an anonymous one is sent to log in and then back to ``back``."""
    user = current_user(request)
    if user is None:
        raise LoginRequired(back)
    return user


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limit(bucket: str, request: Request, key: str | None = None, *, label: str | None = None) -> None:
    """429 with a sentence and Retry-After when ``key`` (default: the client's IP) is over the limit."""
    wait = request.app.state.limiter.hit(bucket, key or client_key(request))
    if wait is not None:
        seconds = int(wait) + 1
        raise HTTPException(
            429, f"Too many {label or bucket} requests; try again in {seconds} seconds.",
            headers={"Retry-After": str(seconds)},
        )


def paper_id_from_path(text: str, *, status: int = 404) -> str:
    """The stored id for an id in a URL (``2401.00001v2``, ``arXiv:…``); not an arXiv id → HTTP ``status``."""
    try:
        return parse_arxiv_id(text).base
    except InvalidArxivId as error:
        raise HTTPException(status, str(error)) from None

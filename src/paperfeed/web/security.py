"""Who is asking and may they: sessions, CSRF, API tokens, rate limits.

Sessions live in the database (``store/sessions``): the signed session cookie carries a random session id
(``sid``), and a logged-in browser is one whose id has a row there, so log-out, a password change and an
admin's revoke end it on every node at once. An anonymous visitor has no session until they post a form.

CSRF, two layers. Every cookie-authenticated POST must come from this site's own pages: a browser's
``Sec-Fetch-Site`` (or, from older browsers, ``Origin``) naming another site is refused, whoever is asking
(the check Go's ``http.CrossOriginProtection`` makes). A browser with a session must also send back a
synchronizer token bound to it: an HMAC of the session id under the installation's key, in a form field
(``csrf_token``) or, from JavaScript, the ``X-CSRF-Token`` header. It changes whenever the session id does
(log-in, log-out), needs no storage, and every node derives the same one. An anonymous visitor gets no
session and no token until they post (log in, sign up, subscribe), so anonymous pages are the same bytes for
everyone and can be cached (``web/page_cache``); their forms are covered by the first layer. The API's write
endpoints take a Bearer token instead of the cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal, TypedDict, Unpack
from urllib.parse import urlsplit

import itsdangerous
from fastapi import HTTPException, Request, Response
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

from paperfeed.config import Settings
from paperfeed.domain.arxiv_id import InvalidArxivId, parse_arxiv_id
from paperfeed.services import accounts
from paperfeed.services.accounts import User
from paperfeed.services.admin import is_disabled
from paperfeed.store import Database
from paperfeed.store.instance import signing_key

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_COOKIE = "paperfeed_session"
# Remembers, across log-outs, which accounts have logged in from this browser (see :func:`login_guard`).
DEVICE_COOKIE = "paperfeed_device"
DEVICE_MAX_AGE = 365 * 24 * 3600
DEVICE_ACCOUNTS = 10  # a shared browser remembers at most this many accounts


def get_db(request: Request) -> Database:
    return request.app.state.db


def today(request: Request) -> date:
    return request.app.state.clock().date()


def signing_key_of(settings: Settings, db: Database) -> Callable[[], str]:
    """The installation's key, looked up on first use (not at start-up: a worker must start, and answer
    503s, even while the database is away) and then kept."""

    @cache
    def key() -> str:
        return settings.secret_key or signing_key(db, Path(settings.home) / "secret.key")

    return key


def _key(request: Request) -> bytes:
    return request.app.state.signing_key().encode("utf-8")


class SessionOptions(TypedDict, total=False):
    """What Starlette's ``SessionMiddleware`` takes besides the app and the secret key."""

    session_cookie: str
    max_age: int | None
    path: str
    same_site: Literal["lax", "strict", "none"]
    https_only: bool
    domain: str | None
    partitioned: bool


class SessionCookieMiddleware(SessionMiddleware):
    """Starlette's signed session cookie, with the signing key looked up on the first request."""

    def __init__(self, app: ASGIApp, /, *, key: Callable[[], str], **options: Unpack[SessionOptions]) -> None:
        self._key: Callable[[], str] = key
        self._signer: itsdangerous.TimestampSigner | None = None
        super().__init__(app, secret_key="(looked up on first use)", **options)

    @property
    def signer(self) -> itsdangerous.TimestampSigner:
        if self._signer is None:
            self._signer = itsdangerous.TimestampSigner(self._key())
        return self._signer

    @signer.setter
    def signer(self, _ignored: object) -> None:  # Starlette's __init__ sets one from its secret_key
        pass


def csrf_token(request: Request) -> str:
    """The session's token, or "" for a visitor without a session (none is made for them: see above)."""
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        return ""
    kept = getattr(request.state, "csrf", None)  # a page asks once per form: a listing has hundreds
    if kept is not None and kept[0] == sid:
        return kept[1]
    digest = hmac.new(_key(request), b"csrf:" + sid.encode("ascii"), hashlib.sha256)
    token = base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("=")
    request.state.csrf = (sid, token)
    return token


def from_this_site(request: Request) -> bool:
    """False when the browser says the request was made by another site's page. Fetch metadata first (all
    current browsers send it), then Origin; a request with neither comes from a non-browser client, which
    cannot carry a victim's cookies, or from a same-origin page of a very old browser."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {f"{request.url.scheme}://{request.url.netloc}", _origin(request.app.state.settings.base_url)}
    return origin in own


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def require_csrf(request: Request) -> None:
    """Dependency for every cookie-authenticated POST: 403 for another site's page, and, for a browser
    with a session, unless the session's token comes back."""
    if not from_this_site(request):
        raise HTTPException(403, "This form was sent from another site; open the page here and retry.")
    if not isinstance(request.session.get("sid"), str):
        return
    expected = csrf_token(request)
    sent: object = request.headers.get(CSRF_HEADER)
    if sent is None and "form" in request.headers.get("content-type", ""):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        raise HTTPException(403, "The form's security token is missing or stale; reload the page and retry.")


def current_user(request: Request) -> User | None:
    """The logged-in user, looked up once per request: the session must still exist in the database."""
    if not hasattr(request.state, "user"):
        user = None
        sid = request.session.get("sid")
        if request.session.get("auth") and isinstance(sid, str):
            user = accounts.session_user(get_db(request), sid)  # None too if an admin disabled the account
            if user is None:  # logged out elsewhere, revoked or expired: stop asking the database
                request.session.pop("auth", None)
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


def log_in_session(request: Request, user: User, response: Response) -> None:
    """Start a fresh session (new id, so new CSRF token: a planted session id is useless) and remember
    that ``user`` logged in from this browser."""
    end_session(request)
    request.session["sid"] = accounts.start_session(get_db(request), user)
    request.session["auth"] = True
    request.state.user = user
    _remember_device(request, response, user.username)


def end_session(request: Request) -> None:
    """Log this browser out: its session row goes (so a copy of the cookie is worthless), the cookie
    empties, and the next page gets a new anonymous id."""
    sid = request.session.get("sid")
    if request.session.get("auth") and isinstance(sid, str):
        accounts.end_session(get_db(request), sid)
    request.session.clear()
    request.state.user = None


class LoginGuard:
    """Which per-account limit a log-in attempt counts against, checked before the password is.

    Failed attempts on an account from browsers that never logged into it share one limit
    (``login_account``): spreading guesses over many addresses does not help. A browser the account did log
    in from (its signed device cookie names the account) has a limit of its own (``login_device``), so
    a stranger's guesses cannot lock the owner out. The per-address limit (``login``) applies to both.
    """

    def __init__(self, request: Request, username: str) -> None:
        self.request = request
        name = username.strip().lower()
        device = _device(request)
        if device and name in device["accounts"]:
            self.bucket, self.key = "login_device", f"device:{device['id']}"
        else:
            self.bucket, self.key = "login_account", f"account:{name}"
        wait = request.app.state.limiter.peek(self.bucket, self.key)
        if wait is not None:
            raise _too_many("login", wait)

    def failed(self) -> None:
        self.request.app.state.limiter.record(self.bucket, self.key)


def _device_serializer(request: Request) -> itsdangerous.URLSafeSerializer:
    return itsdangerous.URLSafeSerializer(request.app.state.signing_key(), salt="paperfeed.device")


def _device(request: Request) -> dict | None:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _device_serializer(request).loads(raw)
    except itsdangerous.BadData:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        return None
    return value if isinstance(value.get("accounts"), list) else None


def _remember_device(request: Request, response: Response, username: str) -> None:
    device = _device(request) or {"id": secrets.token_urlsafe(16), "accounts": []}
    name = username.lower()
    device["accounts"] = ([a for a in device["accounts"] if a != name] + [name])[-DEVICE_ACCOUNTS:]
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer(request).dumps(device),
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.base_url.startswith("https://"),
    )


def api_user(request: Request) -> User:
    """Dependency for API writes: the user of the ``Authorization: Bearer pf_…`` token, else 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    user = accounts.user_for_token(get_db(request), token.strip()) if scheme.lower() == "bearer" else None
    if user is not None and is_disabled(get_db(request), user.id):
        raise HTTPException(403, "This account has been disabled by the site's admins.")
    if user is None:
        raise HTTPException(
            401,
            "Send an API token as 'Authorization: Bearer pf_…' (create one on your account page).",
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
    return safe_next("/" + referer[len(base) :]) if referer.startswith(base) else default


def reader_or_login(request: Request, back: str) -> User:
    """The logged-in user of a POST; an anonymous one is sent to log in and then back to ``back``."""
    user = current_user(request)
    if user is None:
        raise LoginRequired(back)
    return user


def client_key(request: Request) -> str:
    """The client's address as the server resolved it: the peer's, or, from a trusted proxy only
    (``serve --forwarded-allow-ips``), the one it forwarded. IPv6 clients are keyed by their /64, the
    block one subscriber usually holds, so rotating addresses within it does not reset a limit."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address.ipv4_mapped or address) if isinstance(address, ipaddress.IPv6Address) else host


def rate_limit(bucket: str, request: Request, key: str | None = None, *, label: str | None = None) -> None:
    """429 with a sentence and Retry-After when ``key`` (default: the client's IP) is over the limit."""
    wait = request.app.state.limiter.hit(bucket, key or client_key(request))
    if wait is not None:
        raise _too_many(label or bucket, wait)


def _too_many(label: str, wait: float) -> HTTPException:
    seconds = int(wait) + 1
    message = f"Too many {label} requests; try again in {seconds} seconds."
    return HTTPException(429, message, headers={"Retry-After": str(seconds)})


def paper_id_from_path(text: str, *, status: int = 404) -> str:
    """The stored id for an id in a URL (``2401.00001v2``, ``arXiv:…``); not an arXiv id → HTTP ``status``."""
    try:
        return parse_arxiv_id(text).base
    except InvalidArxivId as error:
        raise HTTPException(status, str(error)) from None

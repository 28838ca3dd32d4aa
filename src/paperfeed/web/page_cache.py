"""Pages that hold a crowd: anonymous answers kept in the process until the data changes, and ETags for all.

An anonymous visitor's page carries nothing of its own (no session, no CSRF token: see ``web/security``),
so the same URL gives the same bytes to everyone until something it shows changes. Every such answer is
kept here under the data version it was rendered at (``store/data_version``, kept by triggers on every node)
and the minute of the app's clock (trending decays, "today" moves); a request reads the version (one
primary-key lookup) and, when it is unchanged, gets the kept bytes without touching the routes, the
session or the templates.

Every text answer, anonymous or not, gets a strong ``ETag``, and a request whose ``If-None-Match`` names it
gets ``304 Not Modified``. Anonymous answers are ``Cache-Control: public, no-cache`` (a browser or proxy may
keep them but must ask first, which costs a 304) with ``Vary: Cookie``, so a reader who logs in never sees
the anonymous copy; everything else is ``private, no-cache`` unless its route said otherwise.

A pure ASGI middleware, placed inside the metrics and security headers (hits are counted and get them) and
outside the session middleware (a hit needs no session).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.cookies import SimpleCookie

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.store.data_version import UNKNOWN, current_version

# Anonymous pages that only show shared data. An allow-list: a GET that changes something (confirm and
# unsubscribe links) or shows one reader's data must never be answered from here.
CACHEABLE_PATHS = ("/", "/trending", "/search", "/map", "/trends")
CACHEABLE_PREFIXES = (
    "/papers/",
    "/trending.",
    "/search.",
    "/api/daily_papers",
    "/api/papers/",
    "/map/",
    "/topics/",
    "/authors/",
)
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/rss+xml", "application/atom+xml")
MAX_BODY = 2 * 1024 * 1024  # larger answers stream through untouched
MAX_ENTRIES = 1024
MAX_BYTES = 64 * 1024 * 1024
ANONYMOUS_CACHE_CONTROL = "public, no-cache"
PRIVATE_CACHE_CONTROL = "private, no-cache"


@dataclass(frozen=True)
class Entry:
    version: int
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    etag: str
    rendered_at: float  # Unix time: the Last-Modified of these bytes


class PageCache:
    """The middleware. ``enabled`` is read per request (the setting, or a benchmark's before/after)."""

    def __init__(
        self, app: ASGIApp, *, session_cookie: str, enabled: Callable[[], bool] = lambda: True
    ) -> None:
        self.app = app
        self.session_cookie = session_cookie
        self.enabled = enabled
        self.entries: OrderedDict[tuple[str, ...], Entry] = OrderedDict()
        self.size = 0
        self.hits = 0
        self.misses = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not (self.enabled() and self._shared(scope, headers)):
            await _with_etag(self.app, scope, receive, send, headers, PRIVATE_CACHE_CONTROL)
            return
        try:
            version = (await run_in_threadpool(current_version, scope["app"].state.db)).version
        except Exception:  # the database is away: let the app answer (the outage middleware makes it a 503)
            version = UNKNOWN.version
        if version == UNKNOWN.version:
            await self.app(scope, receive, send)
            return
        key = self._key(scope, headers)
        entry = self.entries.get(key)
        if entry is not None and entry.version == version:
            self.entries.move_to_end(key)
            self.hits += 1
            await _answer(entry, headers, send, cache_state="hit")
            return
        self.misses += 1
        response = await _capture(self.app, scope, receive, send)
        if response is None:  # streamed, or not a text answer: already sent
            return
        status, raw_headers, body = response
        stored = _stored_headers(raw_headers, ANONYMOUS_CACHE_CONTROL)
        entry = Entry(version, status, stored, body, _etag(body), time.time())
        if status == 200 and _storable(raw_headers):
            self._keep(key, entry)
        await _answer(entry, headers, send, cache_state="miss")

    def _shared(self, scope: Scope, headers: Headers) -> bool:
        """An anonymous request for a shared page: no session cookie, no API token."""
        path: str = scope["path"]
        if path not in CACHEABLE_PATHS and not path.startswith(CACHEABLE_PREFIXES):
            return False
        if "authorization" in headers:
            return False
        cookie = headers.get("cookie")
        return not cookie or self.session_cookie not in SimpleCookie(cookie)

    def _key(self, scope: Scope, headers: Headers) -> tuple[str, ...]:
        minute = int(scope["app"].state.clock().timestamp() // 60)
        return (
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            headers.get("accept", ""),
            headers.get("cookie", ""),
            str(minute),
        )

    def _keep(self, key: tuple[str, ...], entry: Entry) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self.entries[key] = entry
        self.size += len(entry.body)
        while self.entries and (len(self.entries) > MAX_ENTRIES or self.size > MAX_BYTES):
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped.body)


async def _with_etag(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, headers: Headers, cache_control: str
) -> None:
    """Not kept here, but still answered with an ETag (and a 304 when the client has these bytes)."""
    response = await _capture(app, scope, receive, send)
    if response is None:
        return
    status, raw_headers, body = response
    entry = Entry(0, status, _stored_headers(raw_headers, cache_control), body, _etag(body), time.time())
    await _answer(entry, headers, send, last_modified=False)


async def _capture(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send
) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
    """Run the app and hold a whole text answer back, or pass anything else straight on (returns None)."""
    start: Message | None = None
    chunks: list[bytes] = []
    passing = False

    async def hold(message: Message) -> None:
        nonlocal start, passing
        if passing:
            await send(message)
        elif message["type"] == "http.response.start":
            start = message
            content_type = Headers(raw=message["headers"]).get("content-type", "")
            if not content_type.startswith(TEXT_TYPES):
                passing = True
                await send(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if sum(map(len, chunks)) > MAX_BODY:  # too big to hold: send what we have and stream the rest
                passing = True
                assert start is not None
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": True})
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})

    await app(scope, receive, hold)
    if passing or start is None:
        return None
    return start["status"], list(start["headers"]), b"".join(chunks)


def _storable(raw_headers: list[tuple[bytes, bytes]]) -> bool:
    """Not when the answer sets a cookie or its route asked not to be kept."""
    headers = Headers(raw=raw_headers)
    control = headers.get("cache-control", "")
    return "set-cookie" not in headers and "no-store" not in control and "private" not in control


def _stored_headers(raw_headers: list[tuple[bytes, bytes]], cache_control: str) -> list[tuple[bytes, bytes]]:
    kept = [(name, value) for name, value in raw_headers if name.lower() != b"content-length"]
    headers = MutableHeaders(raw=kept)
    headers.setdefault("cache-control", cache_control)
    vary = {v.strip().lower() for v in headers.get("vary", "").split(",") if v.strip()}
    if "cookie" not in vary:
        headers["vary"] = ", ".join([*filter(None, [headers.get("vary")]), "Cookie"])
    return headers.raw


def _etag(body: bytes) -> str:
    """SHA-256 (cut to 96 bits) rather than BLAKE2b: every private page is hashed, and with the CPU's SHA
    instructions it takes 115 µs for a 160 KB listing where BLAKE2b took 185."""
    return '"' + hashlib.sha256(body).hexdigest()[:24] + '"'


def _not_modified(entry: Entry, request: Headers) -> bool:
    """RFC 9110 §13.1: If-None-Match decides when sent; otherwise If-Modified-Since."""
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or entry.etag in tags
    if_modified_since = request.get("if-modified-since")
    if if_modified_since and entry.version:
        try:
            return parsedate_to_datetime(if_modified_since).timestamp() >= int(entry.rendered_at)
        except (TypeError, ValueError):
            return False
    return False


async def _answer(
    entry: Entry, request: Headers, send: Send, *, last_modified: bool = True, cache_state: str | None = None
) -> None:
    """Send ``entry`` (or a 304). ``cache_state`` ("hit"/"miss") goes out as ``X-Cache`` for operators."""
    headers = MutableHeaders(raw=list(entry.headers))
    if cache_state:
        headers["x-cache"] = cache_state
    cacheable = entry.status == 200
    if cacheable:
        headers["etag"] = entry.etag
        if last_modified:
            headers["last-modified"] = formatdate(entry.rendered_at, usegmt=True)
    if cacheable and _not_modified(entry, request):
        for name in ("content-type", "content-length"):
            if name in headers:
                del headers[name]
        await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    headers["content-length"] = str(len(entry.body))
    await send({"type": "http.response.start", "status": entry.status, "headers": headers.raw})
    await send({"type": "http.response.body", "body": entry.body, "more_body": False})

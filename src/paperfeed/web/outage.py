"""While the database is away: a friendly 503 page (JSON for the API), and one log line per outage.

A pure ASGI middleware outside the session middleware, so that whatever needs the database first (the
session's signing key, the logged-in user, the page itself) ends in the same answer instead of a bare
"Internal Server Error" and a traceback per request. Requests that do not touch the database (static
files, /healthz) keep working. A request that already started its response cannot be turned into a 503;
its error goes up as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import sqlalchemy as sa
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.web.templating import TEMPLATES_DIR

log = logging.getLogger("paperfeed.web")
# The database is unreachable, dropped the connection, or every pooled connection is busy.
UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError, sa.exc.TimeoutError)
RETRY_AFTER_S = 10
QUIET_S = 30.0  # failures closer together than this are one outage, logged once
PAGE = (TEMPLATES_DIR / "unavailable.html").read_text()  # standalone: rendering base.html needs the database


class DatabaseOutageMiddleware:
    def __init__(self, app: ASGIApp, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.clock = clock
        self.last_failure = -float("inf")
        self.burst_started = 0.0
        self.burst_failures = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except UNAVAILABLE as error:
            if started:
                raise
            self._note(error)
            await _unavailable(scope)(scope, receive, send)

    def _note(self, error: Exception) -> None:
        now = self.clock()
        if now - self.last_failure > QUIET_S:
            previous = (
                f" (the previous outage: {self.burst_failures} requests answered 503 over "
                f"{self.last_failure - self.burst_started:.0f} s)"
                if self.burst_failures
                else ""
            )
            log.error(
                "database unavailable (%s); answering 503 until it is back%s",
                type(getattr(error, "orig", None) or error).__name__,
                previous,
            )
            self.burst_started, self.burst_failures = now, 0
        self.last_failure = now
        self.burst_failures += 1


def _unavailable(scope: Scope) -> Response:
    headers = {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"}
    accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
    if scope["path"].startswith("/api/") or ("application/json" in accept and "text/html" not in accept):
        detail = "The database is unavailable for a moment; retry in a few seconds."
        return JSONResponse({"detail": detail}, status_code=503, headers=headers)
    return HTMLResponse(PAGE, status_code=503, headers=headers)

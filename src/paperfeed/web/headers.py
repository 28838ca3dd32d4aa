"""Security headers on every response: no framing (clickjacking of vote and token buttons), no MIME
sniffing, no referrer leaking search queries to other sites, and no caching of per-user pages.

A pure ASGI middleware, like the metrics one, so streaming responses are untouched. So is
:class:`HeadLikeGet`, which answers HEAD on every GET route (FastAPI routes declare GET only, and uptime
monitors and feed readers ask with HEAD).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages load nothing from elsewhere and have no inline script or style, so 'self' is all they need.
CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The API docs page (FastAPI's Swagger UI) loads its script and style from a CDN and starts with an inline
# script; it shows no user data, and only it gets these sources.
DOCS_PATH = "/api/docs"
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net") + (
    "; style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
PRIVATE_PREFIXES = (
    "/account",
    "/login",
    "/signup",
    "/collections",
    "/for-you",
    "/onboarding",
    "/settings",
    "/library",
    "/admin",
    "/submissions",
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private = scope["path"].startswith(PRIVATE_PREFIXES)
        docs = scope["path"] == DOCS_PATH

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if docs:
                    headers["Content-Security-Policy"] = DOCS_CSP
                if private:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadLikeGet:
    """HEAD is served as GET with the body left out (RFC 9110 §9.3.2): same status and headers, including
    Content-Length. A route without GET still answers 405 (the method is only looked up as GET)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        inner = {**scope, "method": "GET"}
        try:
            await self.app(inner, receive, send_without_body)
        finally:  # what routing learnt (the route, for the metrics label), without the changed method
            scope.update({key: value for key, value in inner.items() if key != "method"})

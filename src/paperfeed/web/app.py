"""The app factory: ``create_app(settings, db)`` wires settings, database, sessions, metrics and routers.

Routers are listed by module name in :data:`ROUTER_MODULES`, each module exposing ``router``; another
area adds its pages with one line there. The catch-all paper page (``/papers/{arxiv_id:path}``) lives in
``pages``, which therefore comes last.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.routing import Route

from paperfeed.config import Settings, get_settings
from paperfeed.services.search import warm_up
from paperfeed.store import Database
from paperfeed.web.headers import SECURITY_HEADERS, HeadLikeGet, SecurityHeadersMiddleware
from paperfeed.web.inputs import RequestBodyLimit, refuse_unstorable_text
from paperfeed.web.metrics import Metrics, MetricsMiddleware
from paperfeed.web.outage import DatabaseOutageMiddleware
from paperfeed.web.page_cache import PageCache
from paperfeed.web.ratelimit import DEFAULT_LIMITS, SharedLimiter
from paperfeed.web.routes.api import openapi_document
from paperfeed.web.routes.interests import MAX_UPLOAD_BYTES
from paperfeed.web.security import SESSION_COOKIE, LoginRequired, SessionCookieMiddleware, signing_key_of
from paperfeed.web.templating import STATIC_DIR, make_templates, render

ROUTER_MODULES = [
    "paperfeed.web.routes.ops",
    "paperfeed.web.routes.api",
    "paperfeed.web.routes.api_for_you",
    "paperfeed.web.routes.accounts",
    "paperfeed.web.routes.community",
    "paperfeed.web.routes.collections",
    "paperfeed.web.routes.feeds",
    "paperfeed.web.routes.search",
    "paperfeed.web.routes.subscriptions",
    "paperfeed.web.routes.interests",
    "paperfeed.web.routes.for_you",
    "paperfeed.web.routes.admin",
    "paperfeed.web.routes.map",
    "paperfeed.web.routes.authors",
    "paperfeed.web.routes.comment_preview",
    "paperfeed.web.routes.pages",  # last: holds the catch-all /papers/{arxiv_id:path}
]


SWAGGER_STATIC = "/static/swagger-ui"  # mounted before /static, so it wins for its own files
METHOD_ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """A ready app. Without ``db`` it opens the database of ``settings`` (and migrates it if it is SQLite,
    for the one-command demo; PostgreSQL is migrated by `paperfeed migrate`, not behind the operator's back).

    Session cookies are marked Secure when ``settings.base_url`` is https, so a deployment behind TLS
    gets them by setting ``PAPERFEED_BASE_URL=https://…``.
    """
    settings = settings or get_settings()
    if db is None:
        db = Database(settings.resolved_database_url)
        if db.is_sqlite:
            db.migrate()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=warm_up, args=(db,), name="search-warm-up", daemon=True).start()
        yield

    app = FastAPI(
        lifespan=lifespan,
        title="paperfeed",
        summary="Research-paper discovery: daily feeds, trending, hybrid search; HF-style JSON API.",
        docs_url=None,  # served by _api_docs, with Swagger UI's files from this server when it has them
        openapi_url="/api/openapi.json",
        redoc_url=None,
        dependencies=[Depends(refuse_unstorable_text)],  # every route's text inputs, checked once
    )
    app.state.settings = settings
    app.state.db = db
    app.state.clock = clock or (lambda: datetime.now(UTC))
    app.state.templates = make_templates()
    app.state.limiter = SharedLimiter(db, DEFAULT_LIMITS)  # counted in the database: one limit for all nodes
    app.state.signing_key = signing_key_of(settings, db)
    app.state.metrics = Metrics(db)
    app.add_middleware(
        SessionCookieMiddleware,
        key=app.state.signing_key,
        session_cookie=SESSION_COOKIE,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.add_middleware(DatabaseOutageMiddleware)  # outside the sessions: they need the database too
    app.add_middleware(
        PageCache, session_cookie=SESSION_COOKIE, enabled=lambda: app.state.settings.page_cache
    )
    app.add_middleware(RequestBodyLimit, larger={"/library/import": MAX_UPLOAD_BYTES + 64 * 1024})
    app.add_middleware(HeadLikeGet)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(SecurityHeadersMiddleware)
    _api_docs(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for name in ROUTER_MODULES:
        app.include_router(importlib.import_module(name).router)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]  # FastAPI's documented override
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(Exception, _server_error)
    return app


def swagger_ui_dir() -> Path | None:
    """Swagger UI's files from the ``swagger-ui-bundle`` package, or None when it is not installed.

    FastAPI's docs page loads them from a CDN, so on an instance without internet ``/api/docs`` is blank;
    the package ships them, so the page works offline. (Without the package: the CDN, as before.)
    """
    try:
        from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    folder = Path(str(swagger_ui_path))
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def _api_docs(app: FastAPI) -> None:
    """``/api/docs``: Swagger UI over the OpenAPI document, its script and style served from
    ``/static/swagger-ui`` when the package is there."""
    assets = swagger_ui_dir()
    if assets is not None:
        app.mount(SWAGGER_STATIC, StaticFiles(directory=str(assets)), name="swagger-ui")

    async def swagger_ui_html(_request: Request) -> HTMLResponse:
        if assets is None:  # FastAPI's default: the CDN
            return get_swagger_ui_html(openapi_url="/api/openapi.json", title="paperfeed API")
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="paperfeed API",
            swagger_js_url=f"{SWAGGER_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_STATIC}/swagger-ui.css",
        )

    # a plain route, as FastAPI adds its own docs page: no API dependencies, nothing in the OpenAPI document
    app.add_route("/api/docs", swagger_ui_html, include_in_schema=False)


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    scripted = "application/json" in accept and "text/html" not in accept
    return request.url.path.startswith("/api/") or scripted


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    headers = dict(error.headers or {})
    if error.status_code == 405:  # the router names the methods of the first route that matched only
        headers["Allow"] = _allowed_methods(request)
    if _wants_json(request):
        return JSONResponse({"detail": error.detail}, status_code=error.status_code, headers=headers)
    response = render(
        request, "error.html", status_code=error.status_code, status=error.status_code, message=error.detail
    )
    response.headers.update(headers)
    return response


async def _server_error(request: Request, error: Exception) -> Response:
    """The 500 answer, sent from outside every middleware (the security headers' too), so it carries
    them itself. Plain, with no page template or session: those may be what failed. The traceback goes to
    the log (Starlette re-raises the error to the server)."""
    message = "Something went wrong on our side; it has been logged. Please retry in a moment."
    if _wants_json(request):
        return JSONResponse({"detail": message}, status_code=500, headers=SECURITY_HEADERS)
    return PlainTextResponse(message, status_code=500, headers=SECURITY_HEADERS)


def _allowed_methods(request: Request) -> str:
    """Every method some route takes at this path (HEAD wherever GET is)."""
    routes = [context.original_route for context in iter_route_contexts(request.app.routes)]
    methods = {
        method
        for route in routes
        if isinstance(route, Route) and route.path_regex.match(request.url.path)
        for method in route.methods or ()
    }
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods, key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else 99, m)))


async def _login_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, LoginRequired)
    if _wants_json(request):
        return JSONResponse({"detail": "Log in to vote, comment or save papers."}, status_code=401)
    return RedirectResponse(f"/login?next={quote(error.next_path)}", status_code=303)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}" for e in error.errors()
    )
    if _wants_json(request):
        return JSONResponse({"detail": problems}, status_code=422)
    return render(request, "error.html", status_code=400, status=400, message=problems)

"""Jinja2 set-up: autoescape on for every template, and the small formatting filters the cards use."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from paperfeed.domain.links import web_url
from paperfeed.domain.text import snippet
from paperfeed.services.admin import site_freshness
from paperfeed.services.feed import Period, PeriodKind
from paperfeed.web.author_links import author_links, author_path
from paperfeed.web.fragments import kept
from paperfeed.web.map_context import register_map_globals
from paperfeed.web.maths import tex, tex_plain, tex_snippet
from paperfeed.web.security import csrf_token, current_user, today

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def pub_date(day: date | None, reference: date) -> str:
    """ "Oct 8, 2024", or "May 24" within the current year, as on Hugging Face's cards."""
    if day is None:
        return ""
    if day.year == reference.year:
        return f"{day.strftime('%b')} {day.day}"
    return f"{day.strftime('%b')} {day.day}, {day.year}"


PERIOD_PATHS: dict[PeriodKind, str] = {"day": "date", "week": "week", "month": "month"}


def period_url(period: Period, suffix: str = "") -> str:
    """/papers/date/2026-07-01, /papers/week/2026-W27, /papers/month/2026-07 (+ "/rss", "/atom")."""
    return f"/papers/{PERIOD_PATHS[period.kind]}/{period.key}{suffix}"


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.autoescape = True  # every template, whatever its extension: paper text is untrusted input
    env.auto_reload = False  # templates ship with the package: no stat() of every template on every render
    # A plain dict, not Jinja's locked LRU (its lookup is linear in the cache size, and runs for every card's
    # includes): the templates are a few dozen files, all kept.
    env.cache = {}
    env.filters["snippet"] = snippet
    env.filters["pub_date"] = pub_date
    env.filters["tex"] = tex  # paper text with its TeX read: MathML, emphasis, accents (escaped otherwise)
    env.filters["tex_snippet"] = tex_snippet
    env.filters["tex_plain"] = tex_plain  # the same as plain text: <title>, share previews, attributes
    env.filters["author_links"] = author_links  # a card's linked, folded author line
    env.filters["author_path"] = author_path
    env.filters["web_url"] = web_url  # href from third-party data: http(s) only, never javascript:
    env.globals["csrf_token"] = csrf_token
    env.globals["kept"] = kept  # {% call kept(*key) %}: a block every reader sees alike, rendered once
    env.globals["period_url"] = period_url
    env.globals["site_freshness"] = site_freshness
    register_map_globals(env)  # paper_place(), author_trend(): the topic map's helpers for other pages
    return templates


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    base = {"user": current_user(request), "today": today(request)}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)

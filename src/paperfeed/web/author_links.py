"""A card's author line: names linked to their author pages, folded when long (the first three, "…", the
last, and every name behind "show all N", a ``<details>`` that needs no script).

Built in Python and cached per author list rather than in a template: a listing shows 50 of these, some
with hundreds of names, and a Jinja macro call per name tripled the listing's render time. The paper page,
which adds follow buttons, uses ``_authors.html`` with the same markup."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote

from markupsafe import Markup

from paperfeed.domain.tex import to_html

FOLD_AT = 5  # up to this many names are all shown; more are folded to SHOWN_FIRST + the last
SHOWN_FIRST = 3


def author_links(authors: tuple[str, ...] | list[str]) -> Markup:
    return Markup(_author_links(tuple(authors)))  # noqa: S704 - every name goes through to_html (escaped)


@lru_cache(maxsize=4096)
def _author_links(authors: tuple[str, ...]) -> str:
    if not authors:
        return ""
    links = [_link(name) for name in authors]
    if len(links) <= FOLD_AT:
        inner = ", ".join(links)
    else:
        short = ", ".join(links[:SHOWN_FIRST]) + ", … " + links[-1]
        inner = (
            f'<span class="authors-short">{short}</span>'
            f'<details class="all-authors"><summary>show all {len(links)} authors</summary>'
            f"<p>{', '.join(links)}</p></details>"
        )
    return f'<div class="authors" aria-label="Authors">{inner}</div>'


def author_path(name: str) -> str:
    """``/authors/J%C3%B6rg%20M%C3%BCller``: the author page's path, every character but letters and digits
    quoted (a name may hold ``/``, ``?`` or ``#``)."""
    return "/authors/" + quote(name, safe="")


def _link(name: str) -> str:
    return f'<span class="author"><a href="{author_path(name)}">{to_html(name)}</a></span>'

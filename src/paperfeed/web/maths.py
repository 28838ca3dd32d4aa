"""Jinja filters that show paper text with its TeX read: MathML and emphasis on pages, plain text in
attributes, ``<title>`` and share previews. The reading itself is :mod:`paperfeed.domain.tex`; only what it
returns, already escaped, is marked safe here."""

from __future__ import annotations

from markupsafe import Markup

from paperfeed.domain.tex import snippet_source, to_html, to_plain
from paperfeed.domain.text import CARD_SNIPPET_CHARS


def tex(text: str | None, inline: bool = False) -> Markup:
    """Paper text as safe HTML with MathML formulas (``{{ p.title | tex }}``)."""
    return Markup(to_html(text or "", inline))  # noqa: S704 - to_html escapes all it did not produce itself


def tex_snippet(text: str | None, limit: int = CARD_SNIPPET_CHARS) -> Markup:
    """The card's first lines of an abstract, never cut inside a formula, with its TeX read."""
    return tex(snippet_source(text or "", limit), inline=True)


def tex_plain(text: str | None) -> str:
    """Paper text as plain text (autoescaped by Jinja like any string): ``S$^2$COPE`` → ``S^2COPE``."""
    return " ".join(to_plain(text or "").split())

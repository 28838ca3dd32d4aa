"""Digest topics: what a subscriber limits their digest to, as arXiv categories and keywords.

Written by a person in one field ("cs.CL, diffusion, graph neural networks"), so the parsing is forgiving:
commas or semicolons separate terms, a term shaped like an arXiv category (``cs.CL``, ``math.AP``,
``hep-th``) matches a paper's categories, anything else matches as words in the title or the abstract. Case
never matters. No topics means every paper.
"""

from __future__ import annotations

import re

MAX_TOPICS = 20
MAX_TOPIC_CHARS = 60
_CATEGORY = re.compile(r"^[a-z]+(-[a-z]+)?(\.[a-z]{2}(-[a-z]+)?)?$", re.IGNORECASE)
_ARCHIVES = {  # arXiv archives that are categories on their own (no dot), so "hep-th" is not a keyword
    "astro-ph", "cond-mat", "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math-ph", "nlin",
    "nucl-ex", "nucl-th", "physics", "quant-ph",
}  # fmt: skip


class TopicsError(ValueError):
    """Topics that cannot be stored (too many, too long); the message names the input."""


def parse_topics(text: str | None) -> tuple[str, ...]:
    """The distinct terms of ``text``, in the order written; raises :class:`TopicsError` past the limits."""
    terms: list[str] = []
    for raw in re.split(r"[,;\n]", text or ""):
        term = " ".join(raw.split())
        if not term or term.casefold() in {t.casefold() for t in terms}:
            continue
        if len(term) > MAX_TOPIC_CHARS:
            raise TopicsError(f"topics: {term[:40]!r}… is longer than {MAX_TOPIC_CHARS} characters")
        terms.append(term)
    if len(terms) > MAX_TOPICS:
        raise TopicsError(f"topics: {len(terms)} terms given; at most {MAX_TOPICS}, separated by commas")
    return tuple(terms)


def topics_text(topics: tuple[str, ...]) -> str:
    return ", ".join(topics)


def is_category(term: str) -> bool:
    return ("." in term and bool(_CATEGORY.match(term))) or term.casefold() in _ARCHIVES


def matches(topics: tuple[str, ...], *, title: str, abstract: str, categories: tuple[str, ...]) -> bool:
    """Whether a paper is on one of the ``topics`` (always, when there are none)."""
    if not topics:
        return True
    have = {c.casefold() for c in categories}
    text = f"{title} {abstract}".casefold()
    for term in topics:
        folded = term.casefold()
        if is_category(term):
            if folded in have:
                return True
        elif re.search(r"(?<!\w)" + re.escape(folded) + r"(?!\w)", text):
            return True
    return False

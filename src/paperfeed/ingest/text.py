"""Cleaning arXiv metadata text, the same way for every source.

arXiv keeps titles and abstracts as submitted: hard-wrapped with two-space indents, leading spaces and
trailing newlines, and author names in TeX (``Sch\\"afer``, ``{\\'E}mile``). Every source goes through
these helpers so that the same paper arrives as the same text (and the same content hash) whichever
source it came from; otherwise re-ingesting from another source would report spurious updates.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

from paperfeed.domain.arxiv_id import ArxivId, InvalidArxivId, parse_arxiv_id
from paperfeed.ingest.records import MAX_ID_CHARS, RecordError

_SPACE = re.compile(r"\s+")
_TEX_HINT = re.compile(r"[\\{}~$]")
# arXiv has no withdrawn flag in its metadata; a withdrawal replaces the comment (and often the abstract)
# with a sentence like these. Kept narrow so that "noise withdrawn from the signal" does not match.
_WITHDRAWN = re.compile(
    r"\b(?:paper|article|submission|manuscript|version|preprint|work)\s+(?:has\s+been|is|was)\s+"
    r"(?:withdrawn|removed)\b|\bwithdrawn\s+by\s+(?:the\s+)?(?:author|arxiv|submitter)|^\s*(?:paper\s+)?withdrawn\b",
    re.IGNORECASE,
)


def clean_text(value: str | None) -> str:
    """Collapse arXiv's hard wrapping and indentation into single spaces."""
    return _SPACE.sub(" ", value or "").strip()


def clean_optional(value: str | None) -> str | None:
    """Like :func:`clean_text`, but an empty value stays ``None`` (unknown, not blank)."""
    text = clean_text(value)
    return text or None


@lru_cache(maxsize=1)
def _latex() -> LatexNodes2Text:
    return LatexNodes2Text()


@lru_cache(maxsize=65536)
def latex_to_unicode(value: str) -> str:
    """``Sch\\"afer`` → ``Schäfer``; plain names skip the (slow) TeX parser entirely."""
    text = clean_text(value)
    if not _TEX_HINT.search(text):
        return text
    try:
        return clean_text(_latex().latex_to_text(text))
    except Exception:  # noqa: BLE001 - pylatexenc raises assorted errors on broken TeX; keep the raw name
        return text


def author_name(keyname: str, forenames: str = "", suffix: str = "") -> str:
    """A display name from arXiv's parsed parts: "Ileana" "Streinu" "" → "Ileana Streinu"."""
    parts = (forenames, keyname, suffix)
    return latex_to_unicode(" ".join(p for p in parts if p and p.strip()))


def looks_withdrawn(comments: str | None, abstract: str | None) -> bool:
    """Whether arXiv's comment or abstract says the paper was withdrawn (see ``_WITHDRAWN``)."""
    return any(_WITHDRAWN.search(text) for text in (comments, abstract) if text)


def split_categories(value: object, field: str = "categories") -> tuple[str, ...]:
    """arXiv's space-separated category string, in arXiv's order (the primary category first)."""
    if value is None:
        return ()
    if not isinstance(value, str):
        raise RecordError(f"field {field!r} must be a space-separated string, got {type(value).__name__}")
    return tuple(dict.fromkeys(value.split()))


def parse_day(value: object, field: str) -> date:
    """A date from the forms arXiv sources use: ISO dates/timestamps and RFC 2822 ("Mon, 2 Apr 2007 …")."""
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"field {field!r} is missing or not a date: {value!r:.60}")
    text = value.strip()
    try:
        if text[:4].isdigit():
            return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
        return parsedate_to_datetime(text).date()
    except (ValueError, TypeError, IndexError, OverflowError) as error:  # a year of 30 digits overflows
        raise RecordError(f"field {field!r} is not a date: {value[:60]!r}") from error


def arxiv_id_field(value: object, field: str) -> ArxivId:
    """``value`` parsed as an arXiv id; anything else raises :class:`RecordError` naming ``field``."""
    if not isinstance(value, str) or not value.strip():
        raise RecordError(f"field {field!r} is missing or not a string")
    try:
        arxiv_id = parse_arxiv_id(value)
    except InvalidArxivId as error:
        raise RecordError(
            f"field {field!r} is not an arXiv id: {value[:60]!r}; expected e.g. 2410.12345, "
            "2410.12345v2, hep-th/9901001 or an arxiv.org/abs/… URL"
        ) from error
    if len(arxiv_id.base) > MAX_ID_CHARS or not arxiv_id.base.isascii():
        raise RecordError(
            f"field {field!r} is not an arXiv id: {value[:60]!r} (longer than {MAX_ID_CHARS} "
            "characters, or not ASCII)"
        )
    return arxiv_id

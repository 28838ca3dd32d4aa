"""arXiv identifiers: the one key every source shares.

A paper is stored under its id *without* version ("2410.12345", "hep-th/9901001"); the version is a
separate number. Users paste ids in every form (``arXiv:2410.12345v2``, abs and pdf URLs, old-style
``math.GT/0309136``), so parsing is strict about the id and lenient about the wrapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NEW_STYLE = r"(?P<new>\d{4}\.\d{4,5})"
_OLD_STYLE = r"(?P<old>[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})"
_ID_RE = re.compile(rf"^(?:{_NEW_STYLE}|{_OLD_STYLE})(?:v(?P<version>\d+))?$", re.ASCII)  # no "٣"
_URL_PREFIX = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/", re.IGNORECASE
)


class InvalidArxivId(ValueError):
    """Raised when a string is not a recognisable arXiv identifier."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    """An arXiv id split into its stable part and an optional version number."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an id, an ``arXiv:`` reference, or an abs/pdf URL into an :class:`ArxivId`."""
    raw = text.strip()
    candidate = _URL_PREFIX.sub("", raw)
    candidate = re.sub(r"^arxiv:", "", candidate, flags=re.IGNORECASE)
    candidate = candidate.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if candidate.lower().endswith(".pdf"):
        candidate = candidate[:-4]
    match = _ID_RE.match(candidate)
    if not match:
        raise InvalidArxivId(
            f"{text!r} is not an arXiv id; expected e.g. 2410.12345, 2410.12345v2, hep-th/9901001 "
            "or an arxiv.org/abs/… URL"
        )
    base = match.group("new") or match.group("old")
    version = match.group("version")
    return ArxivId(base=base, version=int(version) if version else None)

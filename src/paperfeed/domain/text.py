"""Showing paper text in little room: the same cut on the site's cards and in the mails' cards."""

from __future__ import annotations

CARD_SNIPPET_CHARS = 240  # a card on the site; a card in a mail allows more (``mail.compose.SNIPPET_CHARS``)


def snippet(text: str, limit: int = CARD_SNIPPET_CHARS) -> str:
    """The first lines of an abstract, whitespace flattened, cut at a word boundary: what fits in a card."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"

"""Who wrote a paper, as a key: the one folded form of an author's name that follows, the ``paper_authors``
table and the author pages all match on."""

from __future__ import annotations

import re
import unicodedata

MAX_AUTHOR_KEY = 200  # the column's width; a longer "name" is a collaboration's list, cut like a follow


def author_key(name: str) -> str:
    """An author name reduced for matching: accents, case, punctuation and extra spaces removed, so
    "Jörg Müller", "jorg  muller" and "Jorg Muller." are one author."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w\s-]", " ", text).split())[:MAX_AUTHOR_KEY]

"""Who wrote a paper, as a key: the one folded form of an author's name that follows, the ``paper_authors``
table and the author pages all match on."""

from __future__ import annotations

import re
import unicodedata

from paperfeed.domain.tex import to_plain

MAX_AUTHOR_KEY = 200  # the column's width; a longer "name" is a collaboration's list, cut like a follow


def author_key(name: str) -> str:
    """An author name reduced for matching: TeX accents read, then accents, case, punctuation and extra
    spaces removed, so "Jörg Müller", "J\\"org M\\"uller", "jorg  muller" and "Jorg Muller." are one
    author."""
    if "\\" in name or "{" in name:  # the Kaggle snapshot spells names in TeX: Koll\\'ar
        name = to_plain(name)
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^\w\s-]", " ", text).split())[:MAX_AUTHOR_KEY]

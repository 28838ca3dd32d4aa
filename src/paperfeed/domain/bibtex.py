"""A paper as a BibTeX entry: arXiv's own ``@misc`` form (``eprint``, ``archivePrefix``, ``primaryClass``),
which biblatex and natbib styles print as an arXiv preprint.

arXiv titles are already TeX, so formulas (``S$^2$COPE``) and macros (``\\emph{…}``) are kept as written;
only what would break the entry is escaped: a bare ``&``, ``%``, ``#`` or ``_`` in prose, a lone ``$``, and
braces that do not balance (removed, since one stray brace ends a field early).
"""

from __future__ import annotations

import re
import unicodedata

from paperfeed.domain.paper import Paper
from paperfeed.domain.tex import segments

_BARE = re.compile(r"(?<!\\)([&%#_$])")


def bibtex_key(paper: Paper) -> str:
    """``lovelace2026_2601.00001``: first author's family name, year, id (unique here by the id)."""
    first = (paper.authors[0].split()[-1] if paper.authors and paper.authors[0].split() else "anon").lower()
    ascii_name = unicodedata.normalize("NFKD", first).encode("ascii", "ignore").decode()
    year = str(paper.published.year) if paper.published else ""
    return f"{re.sub(r'[^a-z0-9]', '', ascii_name) or 'paper'}{year}_{paper.id.replace('/', '_')}"


def bibtex_entry(paper: Paper) -> str:
    fields = {
        "title": "{" + bib_text(paper.title) + "}",  # double braces: keep the title's capitals
        "author": " and ".join(bib_text(a) for a in paper.authors),
        "year": str(paper.published.year) if paper.published else "",
        "eprint": paper.id,
        "archivePrefix": "arXiv",
        "primaryClass": paper.primary_category or "",
        "doi": bib_text(paper.doi or ""),
        "url": paper.abs_url,
    }
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value)
    return f"@misc{{{bibtex_key(paper)},\n{body}\n}}\n"


def bib_text(text: str) -> str:
    """One field's text, safe inside ``{…}``: formulas kept, special characters of prose escaped."""
    flat = " ".join(text.split())
    out = "".join(
        _BARE.sub(r"\\\1", part.source) if part.kind == "prose" else part.source for part in segments(flat)
    )
    return out if _balanced(out) else re.sub(r"(?<!\\)[{}]", "", out)


def _balanced(text: str) -> bool:
    depth = 0
    for match in re.finditer(r"(?<!\\)[{}]", text):
        depth += 1 if match.group(0) == "{" else -1
        if depth < 0:
            return False
    return depth == 0

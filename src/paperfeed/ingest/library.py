"""A reader's exported reference library, parsed into plain entries (no database here).

Accepts what Zotero, Better BibTeX, Mendeley and Paperpile export — BibTeX/BibLaTeX, RIS, CSL-JSON — and
plain lists of arXiv ids. The format is detected from the content, never the file name, because uploads
arrive as ``export.txt`` or ``My Library.bib`` whatever is inside. A bad entry becomes a
:class:`RejectedEntry` and the rest still counts; only a file that is unreadable as a whole raises
:class:`LibraryFormatError`, and so does a file with no entries at all (an empty file says
"the file is empty"), so the caller never has to explain a silent zero.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from paperfeed.ingest.library_formats import (
    LibraryEntry,
    LibraryFormatError,
    RejectedEntry,
    arxiv_id_of_line,
    latex_text,
    read_bibtex,
    read_csl_json,
    read_ids,
    read_ris,
)

# bibtexparser logs every broken block as a warning; each one is already a RejectedEntry with its position and
# reason, which the CLI prints and the web page shows, so the log line would only say it a second time.
logging.getLogger("bibtexparser").setLevel(logging.ERROR)

__all__ = [
    "LibraryEntry",
    "LibraryFormatError",
    "ParsedLibrary",
    "RejectedEntry",
    "parse_library",
    "title_key",
]

_ACCEPTED = "BibTeX, RIS, CSL-JSON or a list of arXiv ids (one per line)"
_BIBTEX_START = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.MULTILINE)
_RIS_START = re.compile(r"^TY  -", re.MULTILINE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BINARY_SIGNATURES = {b"%PDF": "a PDF", b"PK\x03\x04": "a ZIP archive", b"\x89PNG": "a PNG image"}
_NAMES = {"bibtex": "BibTeX", "ris": "RIS", "csl-json": "CSL-JSON", "ids": "a list of arXiv ids"}
_READERS: dict[str, Callable[[str], Iterator[LibraryEntry | RejectedEntry]]] = {
    "bibtex": read_bibtex,
    "ris": read_ris,
    "csl-json": read_csl_json,
    "ids": read_ids,
}


@dataclass(frozen=True, slots=True)
class ParsedLibrary:
    """What a file held: its format ("bibtex" | "ris" | "csl-json" | "ids"), readable and rejected entries."""

    format: str
    entries: list[LibraryEntry]
    rejected: list[RejectedEntry]


def parse_library(data: bytes | str) -> ParsedLibrary:
    """Parse an export whatever tool wrote it; duplicates inside the file are kept (the caller dedupes)."""
    text = _decode(data)
    if not text.strip():
        raise LibraryFormatError("the file is empty")
    fmt = detect_format(text)
    entries: list[LibraryEntry] = []
    rejected: list[RejectedEntry] = []
    for item in _READERS[fmt](text):
        if isinstance(item, LibraryEntry):
            entries.append(item)
        else:
            rejected.append(item)
    if not entries and not rejected:
        raise LibraryFormatError(f"the file looks like {_NAMES[fmt]} but holds no entries")
    return ParsedLibrary(fmt, entries, rejected)


def detect_format(text: str) -> str:
    """The format by content: JSON by its first character, else whichever of a BibTeX ``@type{`` or a RIS
    ``TY  -`` line comes first (text before it is the preamble some tools write), else an id list if any
    line is an arXiv id.
    """
    if text.lstrip()[:1] in ("[", "{"):
        return "csl-json"
    starts = [
        (m.start(), fmt)
        for fmt, m in (("bibtex", _BIBTEX_START.search(text)), ("ris", _RIS_START.search(text)))
        if m
    ]
    if starts:
        return min(starts)[1]
    if any(arxiv_id_of_line(line) for line in text.splitlines()):
        return "ids"
    raise LibraryFormatError(f"the file is not a reference library export; paperfeed reads {_ACCEPTED}")


def _decode(data: bytes | str) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16 as the tools write them; control characters go."""
    if isinstance(data, bytes):
        for signature, kind in _BINARY_SIGNATURES.items():
            if data.startswith(signature):
                raise LibraryFormatError(
                    f"the file is {kind}, not a library export; paperfeed reads {_ACCEPTED}"
                )
        encoding = "UTF-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "UTF-8"
        try:
            data = data.decode("utf-16" if encoding == "UTF-16" else "utf-8-sig")
        except UnicodeDecodeError as error:
            raise LibraryFormatError(
                f"the file is not {encoding} text (byte {error.start + 1} is 0x{data[error.start]:02x}); "
                "export it again with UTF-8 encoding"
            ) from error
    text = data.removeprefix("\ufeff")
    controls = len(_CONTROL.findall(text))
    if controls > max(8, len(text) // 20):
        raise LibraryFormatError(f"the file looks binary, not like text; paperfeed reads {_ACCEPTED}")
    return _CONTROL.sub("", text) if controls else text


def title_key(title: str) -> str:
    """A title reduced for matching across sources: LaTeX decoded, accents stripped, case folded, only
    ``[a-z0-9]`` words joined by single spaces — "{G{\\"o}del}: A {Study}" and "Gödel — a study" agree.
    """
    decomposed = unicodedata.normalize("NFKD", latex_text(title).casefold())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[a-z0-9]+", ascii_only))

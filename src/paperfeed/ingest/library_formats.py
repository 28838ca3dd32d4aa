"""Reading one entry of a reference-manager export: BibTeX/BibLaTeX, RIS, CSL-JSON, or a line of an id list.

Each tool hides the arXiv id somewhere else (Zotero in ``note``/``number`` and the arXiv DOI, Better BibTeX
and BibLaTeX in ``eprint``, Mendeley in ``arxivId`` and ``journal = {arXiv preprint arXiv:…}``, DBLP in
``volume = {abs/…}``), so every reader collects its candidate fields, explicit id fields first, and hands
them to :func:`find_arxiv_id`. The file as a whole (decoding, format detection) is ``library.py``'s job.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import bibtexparser
import rispy
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.middlewares import RemoveEnclosingMiddleware
from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts
from bibtexparser.middlewares.names import split_multiple_persons_names as split_names
from bibtexparser.model import Entry, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from paperfeed.domain.arxiv_id import InvalidArxivId, parse_arxiv_id


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One paper of a reader's library, as plain text; ``position`` is its 1-based place in the file."""

    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    arxiv_id: str | None = None
    doi: str | None = None
    year: int | None = None
    added_at: datetime | None = None
    key: str = ""
    position: int = 0


@dataclass(frozen=True, slots=True)
class RejectedEntry:
    """An entry that could not be read; the rest of the file still counts."""

    position: int
    label: str
    reason: str


class LibraryFormatError(ValueError):
    """The file as a whole cannot be read; the message is one sentence for the person who uploaded it."""


# --- text -------------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s+")
_TEX_HINT = re.compile(r"[\\{}~$]")
# In a .bib value a bare % is a literal (BibTeX has no comments inside values) but pylatexenc would
# drop the rest of the line as a TeX comment: "improves 5% over" → "improves 5".
_BARE_PERCENT = re.compile(r"(?<!\\)%")
# Zotero keeps its rich-text title markup in RIS and CSL-JSON exports.
_MARKUP = re.compile(r"</?(?:i|b|em|strong|sup|sub|sc|span)(?:\s[^>]*)?>", re.IGNORECASE)


def clean(value: object) -> str:
    """A field as one line of text: control characters and NULs gone, whitespace collapsed."""
    if not isinstance(value, str):
        return ""
    return _SPACE.sub(" ", _CONTROL.sub("", value)).strip()


@lru_cache(maxsize=1)
def _latex() -> LatexNodes2Text:
    # pylatexenc 2.10's default context drops \texttt and \textsf with their argument ("\texttt{BERT}" → "").
    kept = ("texttt", "textsf", "textsl", "textup", "textmd", "textnormal", "textrm", "mbox", "hbox", "text")
    context = get_default_latex_context_db().filter_context()
    context.add_context_category(
        "paperfeed", prepend=True, macros=[MacroTextSpec(m, discard=False) for m in kept]
    )
    return LatexNodes2Text(latex_context=context)


@lru_cache(maxsize=65536)
def latex_text(value: str) -> str:
    """``{G{\\"{o}}del} \\& {Escher}`` → ``Gödel & Escher``; text without TeX skips the slow parser."""
    text = clean(value)
    if not _TEX_HINT.search(text):
        return text
    try:
        return clean(_latex().latex_to_text(_BARE_PERCENT.sub(r"\\%", text)))
    except Exception:  # noqa: BLE001 - pylatexenc raises assorted errors on broken TeX; keep it readable
        return text.replace("{", "").replace("}", "")


def _plain(value: object) -> str:
    """RIS and CSL text: Zotero's HTML-ish markup removed, then TeX that tools copied from arXiv."""
    return latex_text(_MARKUP.sub("", clean(value)))


# --- identifiers and dates --------------------------------------------------------------------------

_ID = r"(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?!\d)"
# Only mentions that say "arXiv" count, so a DOI or page range that looks like an id is not taken for one.
_ARXIV_MENTION = re.compile(
    rf"arxiv\.org/(?:abs|pdf|html)/({_ID})|10\.48550/arxiv\.({_ID})|arxiv:\s*({_ID})", re.IGNORECASE
)
_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>]+", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|2\d\d\d)(?!\d)")
_TIMESTAMP = re.compile(
    r"^(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?:[T /]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def find_arxiv_id(explicit: Iterable[object], mentions: Iterable[object]) -> str | None:
    """The first arXiv id among fields that hold only an id, then among fields that mention one."""
    for value in explicit:
        try:
            return parse_arxiv_id(clean(value)).base
        except InvalidArxivId:
            continue
    for value in mentions:
        for match in _ARXIV_MENTION.finditer(clean(value)):
            try:
                return parse_arxiv_id(next(group for group in match.groups() if group)).base
            except InvalidArxivId:
                continue
    return None


def normalise_doi(*values: object) -> str | None:
    """The first DOI in ``values``, lower-cased and without its ``https://doi.org/`` or ``doi:`` wrapping."""
    for value in values:
        match = _DOI.search(clean(value).replace("%2F", "/").replace("%2f", "/"))
        if match:
            doi = match.group(0).rstrip(".,;")
            return (doi if "(" in doi else doi.rstrip(")")).lower()  # "(see doi:10.1/x)" vs "…(95)00001-1)"
    return None


def parse_year(*values: object) -> int | None:
    """The year from the first of ``year``/``date``-like values that has one ("2017", "2017/06/12/")."""
    for value in values:
        match = _YEAR.search(clean(value))
        if match:
            return int(match.group(1))
    return None


def parse_timestamp(value: object) -> datetime | None:
    """A date or date-time as the tools write it, as aware UTC; a naive time is taken to be UTC.

    Forms: ISO (``2024-01-05T10:11:12Z``), BibDesk (``2024-01-05 10:11:12 +0100``), JabRef (``2024.01.05``),
    Zotero RIS (``2024/01/05/10:11:12``).
    """
    match = _TIMESTAMP.match(clean(value))
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    tz = UTC
    if zone and zone.upper() != "Z":
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tz = timezone(-offset if zone[0] == "-" else offset)
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)


def _entry(position: int, label: str, **fields: Any) -> LibraryEntry | RejectedEntry:
    """An entry, or its rejection when nothing could ever match it to a paper."""
    if not (fields["title"] or fields["arxiv_id"] or fields["doi"]):
        return RejectedEntry(position, label, "no title, arXiv id or DOI")
    return LibraryEntry(position=position, **fields)


@lru_cache(maxsize=65536)
def _person(name: str) -> str:
    """A name in "First von Last Jr" order, by BibTeX's rules ("Gomez, Aidan N." → "Aidan N. Gomez")."""
    try:
        return parse_single_name_into_parts(name).merge_first_name_first
    except InvalidNameError:
        return name


# --- BibTeX / BibLaTeX ------------------------------------------------------------------------------

_BIB_KEY = re.compile(r"@\s*\w+\s*[{(]\s*([^,\s]+)\s*,")
_ARXIV_VENUE = re.compile(r"^arxiv\b", re.IGNORECASE)


def read_bibtex(text: str) -> Iterator[LibraryEntry | RejectedEntry]:
    """Entries in file order; a malformed block is rejected by position and the rest still parse.

    Only the human-text fields are LaTeX-decoded (not bibtexparser's ``LatexDecodingMiddleware`` on every
    field): URLs keep their ``%20`` and ``_``, and Mendeley's ``file`` field is not TeX at all.
    """
    library = bibtexparser.parse_string(text)  # default stack: resolve @string macros, remove enclosing
    position = 0
    for block in library.blocks:
        if not isinstance(block, Entry | ParsingFailedBlock):
            continue  # @comment, @string, @preamble
        position += 1
        if isinstance(block, Entry):
            yield _bib_entry(block, position)
        elif isinstance(readable := block.ignore_error_block, Entry):
            # a duplicate key or field: readable, only flagged by bibtexparser
            yield _bib_entry(RemoveEnclosingMiddleware().transform_entry(readable, library), position)
        else:
            yield _bib_failure(block, position)


def _bib_failure(block: ParsingFailedBlock, position: int) -> RejectedEntry:
    raw = clean(block.raw or "")
    key = _BIB_KEY.match(raw)
    why = block.error.abort_reason if isinstance(block.error, BlockAbortedException) else str(block.error)
    if "closing `}`" in why or "closing bracket" in why or "end of file" in why:
        why = "unbalanced braces"
    line = f" (the entry starting on line {block.start_line + 1})" if block.start_line is not None else ""
    return RejectedEntry(position, key.group(1) if key else raw[:40], f"not valid BibTeX: {why}{line}")


def _bib_entry(entry: Entry, position: int) -> LibraryEntry | RejectedEntry:
    fields: dict[str, str] = {}
    for field in entry.fields:
        fields.setdefault(field.key.lower(), clean(str(field.value)))
    get = fields.get
    eprint_type = (get("archiveprefix") or get("eprinttype") or "arxiv").lower()
    explicit = [get("eprint") if "arxiv" in eprint_type else None, get("arxivid"), get("arxiv")]
    if any(_ARXIV_VENUE.match(get(name) or "") for name in ("publisher", "journal", "howpublished")):
        explicit.append(get("number"))
    volume = get("volume") or ""
    if (get("journal") or "").lower() == "corr" and volume.lower().startswith("abs/"):
        explicit.append(volume[4:])
    mentions = [get(name) for name in ("doi", "url", "howpublished", "journal", "number", "note", "eprint")]
    authors = tuple(_person(name) for name in split_names(get("author") or "") if name.lower() != "others")
    added = (get(name) for name in ("date-added", "added-at", "timestamp", "creationdate", "urldate"))
    return _entry(
        position,
        clean(entry.key),
        title=latex_text(get("title") or ""),
        abstract=latex_text(get("abstract") or ""),
        authors=tuple(a for a in map(latex_text, authors) if a),
        arxiv_id=find_arxiv_id(explicit, mentions),
        doi=normalise_doi(get("doi"), _doi_url(get("url"))),
        year=parse_year(get("year"), get("date")),
        added_at=next((t for t in map(parse_timestamp, added) if t), None),
        key=clean(entry.key),
    )


def _doi_url(url: str | None) -> str | None:
    """A ``url`` that is a doi.org link is as good as a ``doi`` field (Paperpile, ACM exports)."""
    return url if url and "doi.org/" in url.lower() else None


# --- RIS --------------------------------------------------------------------------------------------


def read_ris(text: str) -> Iterator[LibraryEntry | RejectedEntry]:
    """Records in file order; a record missing its ``TY`` or ``ER`` line is rejected by position.

    rispy silently drops a last record without ``ER`` and merges one without ``ER`` into the next, so the
    text is first cut at its ``TY`` lines and each record is handed to rispy on its own.
    """
    for position, (lines, problem) in enumerate(_ris_records(text), start=1):
        label = next(
            (line[6:] for tag in ("ID", "TI", "T1") for line in lines if line.startswith(tag)), lines[0]
        )
        if problem:
            yield RejectedEntry(position, clean(label)[:40], problem)
            continue
        try:
            (record,) = rispy.loads("\n".join(lines))  # a repeated single tag keeps its first value
        except (TypeError, KeyError, ValueError) as error:  # rispy has no error type of its own
            yield RejectedEntry(position, clean(label)[:40], f"not valid RIS: {error}")
            continue
        yield _ris_entry(record, position)


def _ris_records(text: str) -> Iterator[tuple[list[str], str]]:
    """Each record's lines and, if it is incomplete, why."""
    current: list[str] = []
    for line in text.splitlines():
        # rispy's own test for a tag line ("TY  - JOUR"); anything else continues the previous tag.
        tag = line[:2] if line[2:5] == "  -" and line[:1].isalpha() and line[:2].isupper() else None
        if tag == "TY":
            if current:
                yield current, "not valid RIS: the record has no end (ER) line"
            current = [line]
        elif tag == "ER":
            if current and current[0].startswith("TY"):
                yield [*current, line], ""
            elif current:
                yield current, "not valid RIS: the record has no type (TY) line"
            current = []
        elif tag or current:
            current.append(line)
    if current:
        problem = "no end (ER) line" if current[0].startswith("TY") else "no type (TY) line"
        yield current, f"not valid RIS: the record has {problem}"


def _all(record: dict[str, Any], *names: str) -> list[str]:
    """Every value of ``names``: rispy gives a string, or a list when a tag repeats."""
    values: list[str] = []
    for name in names:
        value = record.get(name)
        values.extend(value if isinstance(value, list) else [value] if value else [])
    return [clean(v) for v in values if isinstance(v, str)]


def _ris_entry(record: dict[str, Any], position: int) -> LibraryEntry | RejectedEntry:
    def first(*names: str) -> str:
        return next(iter(_all(record, *names)), "")

    venues = ("journal_name", "secondary_title", "alternate_title1", "alternate_title2", "alternate_title3")
    explicit = _all(record, "number") if _ARXIV_VENUE.match(first("publisher", *venues)) else []
    mentions = _all(record, "doi", "urls", "file_attachments1", "file_attachments2", *venues)
    mentions += _all(record, "number", "note", "notes")
    return _entry(
        position,
        first("id", "title", "primary_title")[:40],
        title=_plain(first("title", "primary_title")),
        abstract=_plain(first("abstract", "notes_abstract")),
        authors=tuple(_person(clean(name)) for name in _all(record, "authors", "first_authors")),
        arxiv_id=find_arxiv_id(explicit, mentions),
        doi=normalise_doi(first("doi")),
        year=parse_year(first("year"), first("publication_year"), first("date")),
        added_at=parse_timestamp(first("access_date")),
        key=first("id"),
    )


# --- CSL-JSON ---------------------------------------------------------------------------------------


def read_csl_json(text: str) -> Iterator[LibraryEntry | RejectedEntry]:
    """Items of a CSL-JSON array (Zotero's "CSL JSON" export); an item that is not an object is rejected."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise LibraryFormatError(
            f"the file looks like JSON but is not valid JSON ({error.msg} at line {error.lineno})"
        ) from error
    if not isinstance(items, list):
        kind = {dict: "an object", str: "a string", bool: "true or false"}.get(
            type(items), "a number or null"
        )
        raise LibraryFormatError(
            f"a CSL-JSON library must be a list of items ([{{…}}, …]); this file holds {kind}"
        )
    for position, item in enumerate(items, start=1):
        if isinstance(item, dict):
            yield _csl_entry(item, position)
        else:
            label = clean(json.dumps(item, ensure_ascii=False))[:40]
            yield RejectedEntry(
                position, label, f"not a CSL-JSON item: a {type(item).__name__}, not an object"
            )


def _csl_entry(item: dict[str, Any], position: int) -> LibraryEntry | RejectedEntry:
    get = item.get
    key = clean(get("citation-key")) or clean(str(get("id") or ""))
    arxiv_venue = any(_ARXIV_VENUE.match(clean(get(k))) for k in ("publisher", "container-title", "archive"))
    explicit = [get("number"), get("archive_location")] if arxiv_venue else []
    mentions = [get(name) for name in ("DOI", "URL", "number", "container-title", "note", "archive_location")]
    authors = tuple(_csl_name(name) for name in get("author") or () if isinstance(name, dict))
    issued = _csl_date(get("issued"))
    return _entry(
        position,
        key[:40] or clean(get("title"))[:40],
        title=_plain(get("title")),
        abstract=_plain(get("abstract")),
        authors=tuple(a for a in authors if a),
        arxiv_id=find_arxiv_id(explicit, mentions),
        doi=normalise_doi(get("DOI")),
        year=issued.year if issued else None,
        added_at=_csl_date(get("accessed")),
        key=key,
    )


def _csl_name(name: dict[str, Any]) -> str:
    parts = ("given", "dropping-particle", "non-dropping-particle", "family", "suffix")
    return latex_text(clean(name.get("literal")) or " ".join(clean(name.get(p)) for p in parts))


def _csl_date(value: object) -> datetime | None:
    """``{"date-parts": [[2020, 12, 16]]}`` (numbers or strings; month and day optional) or ``{"raw": …}``."""
    if not isinstance(value, dict):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        try:
            numbers = [int(p) for p in parts[0][:3]] + [1, 1]
            return datetime(numbers[0], numbers[1], numbers[2], tzinfo=UTC)
        except (TypeError, ValueError):
            return None
    return parse_timestamp(value.get("raw") or value.get("literal"))


# --- plain id lists ---------------------------------------------------------------------------------

_ARXIV_DOI_LINE = re.compile(r"(?:https?://(?:dx\.)?doi\.org/|doi:)?10\.48550/arxiv\.(\S+)", re.IGNORECASE)
_TRAILING_COMMENT = re.compile(r"\s+#.*$")


def arxiv_id_of_line(line: str) -> str | None:
    """The id a line of a plain list names: an id, an abs/pdf URL or the arXiv DOI, and nothing else."""
    text = _TRAILING_COMMENT.sub("", clean(line))
    doi = _ARXIV_DOI_LINE.fullmatch(text)
    try:
        return parse_arxiv_id(doi.group(1) if doi else text).base
    except InvalidArxivId:
        return None


def read_ids(text: str) -> Iterator[LibraryEntry | RejectedEntry]:
    """One id per line; blank lines and ``#`` comments are skipped and do not count as positions."""
    position = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = clean(line)
        if not stripped or stripped.startswith("#"):
            continue
        position += 1
        arxiv_id = arxiv_id_of_line(stripped)
        if arxiv_id is None:
            yield RejectedEntry(
                position, stripped[:40], f"line {number} is not an arXiv id or arxiv.org link"
            )
        else:
            yield LibraryEntry(title="", arxiv_id=arxiv_id, position=position)

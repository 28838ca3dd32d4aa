"""What a source parser yields: a record to store, or a rejection that names the record and the field.

Building a :class:`Record` is the one place that decides what may be stored, whatever the source: text that
every consumer can take (XML feeds, PostgreSQL, UTF-8), values that fit their columns on both backends,
bounded sizes, and no dates in the future. A value that cannot be made safe raises :class:`RecordError`
naming the field as the source spells it (parsers turn that into :class:`Rejected`); prose that is merely
too long is cut at a word, and the cut is reported as a note.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NoReturn

from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.links import web_url
from paperfeed.domain.paper import Paper, PaperVersion

# Column sizes of store/models.py. PostgreSQL refuses longer values, aborting the whole transaction (the
# whole file), where SQLite keeps them; refusing them here, per record, makes both backends behave alike.
MAX_ID_CHARS = 40  # papers.id
MAX_CATEGORY_CHARS = 40  # papers.primary_category; arXiv's longest category name has 17 characters
MAX_SUBMITTER_CHARS = 200  # feed_entries.submitted_by
MAX_COUNT = 2**31 - 1  # the Integer columns (version, upvotes, comments) are 32-bit on PostgreSQL
# Bounds on one paper, far above real metadata, so that one hostile record cannot fill the disk, the search
# index, a page or the embedder. Identifiers and names of things are refused when too long (a cut id is a
# wrong id); prose is cut at a word boundary, with a note in the ingest summary.
MAX_TITLE_CHARS = 2_000  # refuse: real titles stay under ~400 characters; 2,000 is an abstract misfiled
MAX_ABSTRACT_CHARS = 20_000  # cut: arXiv caps abstracts at 1,920 characters; other sources get ten times that
MAX_COMMENTS_CHARS = 5_000  # cut: arXiv comments are a line or two
MAX_JOURNAL_REF_CHARS = 2_000  # cut
MAX_AUTHORS = 10_000  # cut the list: the longest arXiv author list (1503.07589, ATLAS + CMS) has 5,154 names
MAX_AUTHOR_CHARS = 300  # cut a name: anything longer is an affiliation or a whole list in one name
MAX_CATEGORIES = 50  # refuse: arXiv papers carry at most a dozen
MAX_CLASSES_CHARS = 500  # cut: subject classes listed after the categories run to ~150 characters
MAX_DOI_CHARS = 1_000  # refuse: arXiv's doi field may list several DOIs, each under 100 characters
MAX_LICENSE_CHARS = 500  # refuse: a license is one URL
MAX_URL_CHARS = 2_000  # drop the link, with a note: browsers and proxies cut longer URLs anyway
MAX_VERSION = 1_000  # refuse: the most revised arXiv papers have a few dozen versions
FUTURE_SLACK = timedelta(days=1)  # "today" differs by a day across time zones; anything later is wrong

# Characters that break a consumer: XML 1.0 forbids C0 controls but tab/LF/CR and U+FFFE/U+FFFF (lxml refuses
# them, so a feed listing the paper would fail), PostgreSQL refuses NUL, UTF-8 cannot encode lone surrogates
# (a JSON "\ud800" escape decodes to one). C1 controls are allowed by XML but never meaningful in metadata.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# A primary category is a name (cs.LG, cond-mat.str-el, math-ph), not text: it goes into URLs and tables.
_CATEGORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
_AS_SPACE = frozenset("\t\x0b\x0c\x1c\x1d\x1e\x1f\x85")  # whitespace controls: a space keeps the words apart


def safe_text(value: str) -> str:
    """``value`` without the characters above; CR and CRLF become LF, whitespace controls a space."""
    if not _UNSAFE.search(value):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub(lambda m: "\n" if m[0] == "\n" else " " if m[0] in _AS_SPACE else "", value)


class MalformedSource(Exception):
    """The input as a whole cannot be read (not JSON, truncated archive, wrong document shape).

    Raised before anything is committed for that input, so the database is left as it was.
    """


class RecordError(ValueError):
    """A single record is invalid; parsers turn it into :class:`Rejected` with the record's location."""


@dataclass(frozen=True, slots=True)
class Record:
    """A paper, and the feed entry that puts it on a day's page when the source says which day.

    Constructing one cleans and checks every field (see the module docstring) and may raise
    :class:`RecordError`; ``field_names`` maps attribute names to the source's own spelling
    (``{"abstract": "paper.summary"}``) for the messages. ``where`` locates the record for people
    ("in.jsonl line 17"); ``notes`` says what was cut to fit.
    """

    paper: Paper
    feed_entry: FeedEntry | None = None
    where: str = ""
    field_names: InitVar[Mapping[str, str] | None] = None
    notes: tuple[str, ...] = field(default=(), init=False)

    def __post_init__(self, field_names: Mapping[str, str] | None) -> None:
        check = _Check(field_names or {})
        object.__setattr__(self, "paper", check.paper(self.paper))
        if self.feed_entry is not None:
            object.__setattr__(self, "feed_entry", check.entry(self.feed_entry))
        object.__setattr__(self, "notes", tuple(check.notes))


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be read; the rest of the input still goes in.

    ``where`` locates it for a person ("line 17", "record 2410.12345"); ``reason`` names the field.
    """

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class _Check:
    """The checks of one record; collects notes and names fields the way the source does."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names
        self.notes: list[str] = []
        self.latest = datetime.now(UTC).date() + FUTURE_SLACK

    def fail(self, attr: str, problem: str) -> NoReturn:
        raise RecordError(f"field {self.names.get(attr, attr)!r} {problem}")

    def note(self, attr: str, what: str) -> None:
        self.notes.append(f"field {self.names.get(attr, attr)!r} {what}")

    def paper(self, paper: Paper) -> Paper:
        changes: dict[str, Any] = {}
        if not isinstance(paper.id, str) or not paper.id.isascii() or not paper.id.strip():
            self.fail("id", f"is not an arXiv id: {paper.id!r:.60}")
        if len(paper.id) > MAX_ID_CHARS:
            self.fail("id", f"is longer than {MAX_ID_CHARS} characters")
        title = self.text("title", paper.title, refuse_over=MAX_TITLE_CHARS)
        if not title or not title.strip():
            self.fail("title", "is missing or empty")
        changes["title"] = title
        changes["abstract"] = self.text("abstract", paper.abstract, cut_over=MAX_ABSTRACT_CHARS) or ""
        changes["authors"] = self.authors(paper.authors)
        changes["categories"] = self.categories(paper.categories)
        changes["version"] = self.count("version", paper.version, low=1, high=MAX_VERSION)
        changes["versions"] = self.versions(paper.versions)
        for attr in ("published", "updated"):
            changes[attr] = self.day(attr, getattr(paper, attr))
        changes["doi"] = self.text("doi", paper.doi, refuse_over=MAX_DOI_CHARS) or None
        changes["license"] = self.text("license", paper.license, refuse_over=MAX_LICENSE_CHARS) or None
        journal_ref = self.text("journal_ref", paper.journal_ref, cut_over=MAX_JOURNAL_REF_CHARS)
        changes["journal_ref"] = journal_ref or None
        changes["comments"] = self.text("comments", paper.comments, cut_over=MAX_COMMENTS_CHARS) or None
        for attr in ("github_repo", "project_page"):
            changes[attr] = self.link(attr, getattr(paper, attr))
        if not isinstance(paper.withdrawn, bool):
            self.fail("withdrawn", f"must be true or false, got {paper.withdrawn!r:.60}")
        changed = {k: v for k, v in changes.items() if v is not getattr(paper, k) and v != getattr(paper, k)}
        return replace(paper, **changed) if changed else paper

    def entry(self, entry: FeedEntry) -> FeedEntry:
        if not isinstance(entry.source, FeedSource):
            self.fail("source", f"is not one of arxiv, hf, submission: {entry.source!r}")
        changes: dict[str, Any] = {
            "featured_on": self.day("featured_on", entry.featured_on, required=True),
            "submitted_by": self.text("submitted_by", entry.submitted_by, refuse_over=MAX_SUBMITTER_CHARS),
            "external_upvotes": self.count("external_upvotes", entry.external_upvotes, low=0, high=MAX_COUNT),
            "num_comments": self.count("num_comments", entry.num_comments, low=0, high=MAX_COUNT),
        }
        changes["submitted_by"] = (changes["submitted_by"] or "").strip() or None
        changed = {k: v for k, v in changes.items() if v != getattr(entry, k)}
        return replace(entry, **changed) if changed else entry

    def text(self, attr: str, value: object, *, refuse_over: int = 0, cut_over: int = 0) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(attr, f"must be a string, got {type(value).__name__}")
        value = safe_text(value)
        if refuse_over and len(value) > refuse_over:
            self.fail(attr, f"is longer than {refuse_over:,} characters ({len(value):,})")
        if cut_over and len(value) > cut_over:
            self.note(attr, f"had {len(value):,} characters; the first {cut_over:,} were kept")
            value = _cut(value, cut_over)
        return value

    def authors(self, value: object) -> tuple[str, ...]:
        names = self.strings("authors", value)
        if len(names) > MAX_AUTHORS:
            self.note("authors", f"listed {len(names):,} names; the first {MAX_AUTHORS:,} were kept")
            names = names[:MAX_AUTHORS]
        kept = []
        for name in names:
            name = " ".join(safe_text(name).split())
            if len(name) > MAX_AUTHOR_CHARS:
                self.note(
                    "authors",
                    f"has a name of {len(name):,} characters; the first {MAX_AUTHOR_CHARS} were kept",
                )
                name = _cut(name, MAX_AUTHOR_CHARS)
            if name:
                kept.append(name)
        return tuple(kept)

    def categories(self, value: object) -> tuple[str, ...]:
        """The primary category (first) must be a name that fits its column; after it, arXiv listings also
        carry subject classes ("68U10, 90C26", "I.2.6; I.2.7"), kept as text, cut when very long."""
        names = [" ".join(safe_text(c).split()) for c in self.strings("categories", value)]
        names = list(dict.fromkeys(c for c in names if c))
        if len(names) > MAX_CATEGORIES:
            self.fail("categories", f"lists more than {MAX_CATEGORIES} categories ({len(names)})")
        if names and len(names[0]) > MAX_CATEGORY_CHARS:
            self.fail(
                "categories",
                f"has a primary category longer than {MAX_CATEGORY_CHARS} characters: {names[0][:60]!r}",
            )
        if names and not _CATEGORY.fullmatch(names[0]):
            self.fail(
                "categories",
                f"has a primary category that is not a name like cs.LG or cond-mat.str-el: {names[0][:60]!r}",
            )
        for position, name in enumerate(names[1:], start=1):
            if len(name) > MAX_CLASSES_CHARS:
                self.note(
                    "categories",
                    f"has an entry of {len(name):,} characters; the first {MAX_CLASSES_CHARS} were kept",
                )
                names[position] = _cut(name, MAX_CLASSES_CHARS)
        return tuple(names)

    def strings(self, attr: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, tuple | list) or not all(isinstance(v, str) for v in value):
            self.fail(attr, "must be a list of strings")
        return tuple(value)

    def versions(self, value: object) -> tuple[PaperVersion, ...]:
        if not isinstance(value, tuple | list) or not all(isinstance(v, PaperVersion) for v in value):
            self.fail("versions", "must be a list of {version, created} objects")
        if len(value) > MAX_VERSION:
            self.fail("versions", f"lists more than {MAX_VERSION} versions")
        checked = tuple(
            PaperVersion(
                self.count("versions", v.version, low=1, high=MAX_VERSION), self.day("versions", v.created)
            )
            for v in value
        )
        return checked if checked != tuple(value) else tuple(value)

    def count(self, attr: str, value: object, *, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(attr, f"must be a whole number, got {value!r:.60}")
        if not low <= value <= high:
            self.fail(attr, f"must be a whole number from {low} to {high:,}, got {str(value)[:60]}")
        return value

    def day(self, attr: str, value: object, *, required: bool = False) -> date | None:
        if value is None and not required:
            return None
        if not isinstance(value, date):
            self.fail(attr, f"must be a date, got {value!r:.60}")
        if isinstance(value, datetime):
            value = value.date()
        if value > self.latest:
            self.fail(attr, f"is in the future: {value.isoformat()} (later than tomorrow, UTC)")
        return value

    def link(self, attr: str, value: object) -> str | None:
        text = self.text(attr, value)
        if text and len(text) > MAX_URL_CHARS:
            self.note(attr, f"is longer than {MAX_URL_CHARS:,} characters; the link was dropped")
            return None
        return web_url(text)


def _cut(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, at a space when there is one near the end, with "…"."""
    head = text[: limit - 1]
    space = head.rfind(" ", max(0, limit - 200))
    return (head[:space] if space > 0 else head).rstrip() + "…"

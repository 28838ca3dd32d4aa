"""The Kaggle "arxiv-metadata-oai-snapshot": millions of JSON lines, one arXiv paper each.

Streams through :func:`iter_json_lines`, so memory does not grow with the file. Quirks of the real dump
handled here: titles and abstracts hard-wrapped with leading spaces, TeX accents in names, ``categories``
as one space-separated string, and ``versions`` with RFC 2822 dates ("Mon, 2 Apr 2007 19:18:42 GMT").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.paper import Paper, PaperVersion
from paperfeed.ingest.files import iter_json_lines
from paperfeed.ingest.records import Record, RecordError, Rejected
from paperfeed.ingest.text import (
    arxiv_id_field,
    author_name,
    clean_optional,
    clean_text,
    latex_to_unicode,
    looks_withdrawn,
    parse_day,
    split_categories,
)


def read_snapshot(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[Record | Rejected]:
    """Records of a snapshot file (plain or gzip); a bad line is rejected, naming its line, id and field."""
    for number, obj in iter_json_lines(path, on_bytes):
        if isinstance(obj, RecordError):
            yield Rejected(f"line {number}", str(obj))
            continue
        where = f"line {number} (id {obj.get('id')!r:.60})"
        try:
            paper = snapshot_paper(obj)
            entry = FeedEntry(paper.id, paper.published, FeedSource.ARXIV) if paper.published else None
            yield Record(paper, entry, where=where, field_names=FIELD_NAMES)
        except RecordError as error:
            yield Rejected(where, str(error))


# Attribute names as the snapshot spells them, for the messages of rejected records.
FIELD_NAMES = {
    "journal_ref": "journal-ref",
    "authors": "authors_parsed",
    "published": "versions.created",
    "updated": "versions.created",
    "version": "versions",
    "featured_on": "versions.created",
}


def snapshot_paper(obj: dict[str, Any]) -> Paper:
    """One snapshot object as a :class:`Paper`; raises :class:`RecordError` naming the bad field."""
    arxiv_id = arxiv_id_field(obj.get("id"), "id")
    title = clean_text(_string(obj, "title"))
    if not title:
        raise RecordError("field 'title' is missing or empty")
    abstract = clean_text(_string(obj, "abstract"))
    comments = clean_optional(_string(obj, "comments"))
    versions = _versions(obj.get("versions"))
    latest = versions[-1] if versions else None
    return Paper(
        id=arxiv_id.base,
        title=title,
        abstract=abstract,
        authors=_authors(obj),
        categories=split_categories(obj.get("categories")),
        version=latest.version if latest else arxiv_id.version or 1,
        versions=versions,
        published=versions[0].created if versions else None,
        updated=latest.created if latest else None,
        doi=clean_optional(_string(obj, "doi")),
        journal_ref=clean_optional(_string(obj, "journal-ref")),
        comments=comments,
        license=clean_optional(_string(obj, "license")),
        withdrawn=looks_withdrawn(comments, abstract),
    )


def _string(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is not None and not isinstance(value, str):
        raise RecordError(f"field {name!r} must be a string, got {type(value).__name__}")
    return value


_VERSION = re.compile(r"v?([0-9]{1,6})", re.ASCII)  # not str.isdigit(): "²" is a digit int() refuses


def _versions(value: object) -> tuple[PaperVersion, ...]:
    """``[{"version": "v1", "created": "Mon, 2 Apr 2007 …"}]`` → sorted :class:`PaperVersion` tuple."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RecordError("field 'versions' must be a list of {version, created} objects")
    versions: dict[int, PaperVersion] = {}
    for item in value:
        label = item.get("version") if isinstance(item, dict) else None
        match = _VERSION.fullmatch(label) if isinstance(label, str) else None
        if not match:
            raise RecordError(f"field 'versions' has an entry without a version like 'v1': {item!r:.80}")
        number = int(match[1])  # its range is checked with the record (see ingest.records)
        versions[number] = PaperVersion(number, parse_day(item.get("created"), "versions.created"))
    return tuple(versions[k] for k in sorted(versions))


def _authors(obj: dict[str, Any]) -> tuple[str, ...]:
    """Authors in order from ``authors_parsed`` ([keyname, forenames, suffix, …]); else the raw string."""
    parsed = obj.get("authors_parsed")
    if parsed is None:
        raw = _string(obj, "authors") or ""
        names = raw.replace("\n", " ").replace(" and ", ", ").split(",")
        return tuple(latex_to_unicode(name) for name in names if name.strip())
    if not isinstance(parsed, list):
        raise RecordError("field 'authors_parsed' must be a list of [keyname, forenames, suffix] lists")
    names = []
    for parts in parsed:
        if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
            raise RecordError(
                f"field 'authors_parsed' has an entry that is not a list of strings: {parts!r:.80}"
            )
        keyname, forenames, suffix = (list(parts) + ["", ""])[:3]
        name = author_name(keyname, forenames, suffix)
        if name:
            names.append(name)
    return tuple(names)

"""paperfeed's own JSON-lines format: the format of the bundled sample, of exports and of backups.

One object a line. The fields of the shared arXiv daily dump (``id``, ``listed``, ``title``, ``authors``,
``categories``, ``comment``, ``abstract``, ``abs``, ``pdf``) plus everything else a paper and its feed
entries hold, so that export → import into an empty database reproduces the same export byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.links import web_url
from paperfeed.domain.paper import Paper, PaperVersion
from paperfeed.ingest.files import iter_json_lines
from paperfeed.ingest.records import Record, RecordError, Rejected
from paperfeed.ingest.text import arxiv_id_field


def read_jsonl(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[Record | Rejected]:
    """Records of a paperfeed JSON-lines file (plain or gzip); bad lines become rejections."""
    for number, obj in iter_json_lines(path, on_bytes):
        where = f"{path.name} line {number}"
        if isinstance(obj, RecordError):
            yield Rejected(where, str(obj))
            continue
        where = f"{where} (id {obj.get('id')!r:.60})"
        try:
            records = _records(obj, where)
        except RecordError as error:
            yield Rejected(where, str(error))
            continue
        yield from records


# Attribute names as this format spells them, for the messages of rejected records.
FIELD_NAMES = {
    "comments": "comment",
    "featured_on": "featured.date",
    "source": "featured.source",
    "submitted_by": "featured.submitted_by",
    "external_upvotes": "featured.upvotes",
    "num_comments": "featured.num_comments",
}
_LISTED_NAMES = FIELD_NAMES | {"featured_on": "listed"}


def _records(obj: dict[str, Any], where: str) -> list[Record]:
    """Every record of one line, or :class:`RecordError` for the whole line (never half of it)."""
    paper = paper_from_json(obj)
    featured = obj.get("featured")
    if featured is not None and not isinstance(featured, list):
        raise RecordError(
            f"field 'featured' must be a list of {{date, source, …}} objects, got {type(featured).__name__}"
        )
    entries = [entry_from_json(paper.id, e) for e in featured or ()]
    names = FIELD_NAMES
    if not entries and obj.get("listed") is not None:
        entries, names = [FeedEntry(paper.id, _date(obj, "listed"), FeedSource.ARXIV)], _LISTED_NAMES
    if not entries:
        return [Record(paper, where=where, field_names=names)]
    return [Record(paper, entry, where=where, field_names=names) for entry in entries]


def paper_from_json(obj: dict[str, Any]) -> Paper:
    """One line's paper; every field is type-checked, and a wrong one raises :class:`RecordError`."""
    arxiv_id = arxiv_id_field(_text(obj, "id", required=True), "id")
    version = _int(obj, "version")
    published = _optional_date(obj, "published") or _optional_date(obj, "listed")
    return Paper(
        id=arxiv_id.base,
        title=_text(obj, "title", required=True),
        abstract=_text(obj, "abstract"),
        authors=_names(obj, "authors"),
        categories=_names(obj, "categories"),
        version=version if version is not None else arxiv_id.version or 1,
        versions=_versions(obj.get("versions")),
        published=published,
        updated=_optional_date(obj, "updated"),
        doi=_text(obj, "doi") or None,
        journal_ref=_text(obj, "journal_ref") or None,
        comments=_text(obj, "comment") or None,
        license=_text(obj, "license") or None,
        github_repo=web_url(_text(obj, "github_repo")),
        project_page=web_url(_text(obj, "project_page")),
        withdrawn=_bool(obj, "withdrawn"),
    )


def entry_from_json(paper_id: str, obj: object) -> FeedEntry:
    if not isinstance(obj, dict):
        raise RecordError(f"field 'featured' must hold {{date, source, …}} objects, got {type(obj).__name__}")
    try:
        source = FeedSource(obj.get("source", "arxiv"))
    except ValueError as error:
        raise RecordError(f"field 'featured.source' is not one of arxiv, hf, submission: {error}") from error
    return FeedEntry(
        paper_id=paper_id,
        featured_on=_date(obj, "date", "featured.date"),
        source=source,
        submitted_by=_text(obj, "submitted_by", field="featured.submitted_by") or None,
        external_upvotes=_int(obj, "upvotes", "featured.upvotes") or 0,
        num_comments=_int(obj, "num_comments", "featured.num_comments") or 0,
    )


def paper_to_json(paper: Paper, entries: Iterable[FeedEntry] = ()) -> dict[str, Any]:
    """The JSON object of one paper; the inverse of :func:`paper_from_json` and the feed entries."""
    entries = sorted(entries, key=lambda e: (e.featured_on, e.source.value))
    listed = next((e.featured_on for e in entries if e.source is FeedSource.ARXIV), None)
    obj: dict[str, Any] = {
        "id": paper.id,
        "version": paper.version,
        "listed": listed.isoformat() if listed else None,
        "title": paper.title,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "comment": paper.comments,
        "abstract": paper.abstract,
        "abs": paper.abs_url,
        "pdf": paper.pdf_url,
        "published": paper.published.isoformat() if paper.published else None,
        "updated": paper.updated.isoformat() if paper.updated else None,
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "license": paper.license,
        "github_repo": paper.github_repo,
        "project_page": paper.project_page,
        "withdrawn": paper.withdrawn,
        "versions": [
            {"version": v.version, "created": v.created.isoformat() if v.created else None}
            for v in paper.versions
        ],
        "featured": [
            {
                "date": e.featured_on.isoformat(),
                "source": e.source.value,
                "submitted_by": e.submitted_by,
                "upvotes": e.external_upvotes,
                "num_comments": e.num_comments,
            }
            for e in entries
        ],
    }
    return obj


def write_jsonl_line(handle: IO[str], paper: Paper, entries: Iterable[FeedEntry]) -> None:
    handle.write(json.dumps(paper_to_json(paper, entries), ensure_ascii=False, sort_keys=False) + "\n")


def _text(obj: dict[str, Any], name: str, *, required: bool = False, field: str = "") -> str:
    value = obj.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(f"field {field or name!r} is missing or empty")
        return ""
    if not isinstance(value, str):
        raise RecordError(f"field {field or name!r} must be a string, got {type(value).__name__}")
    return value


def _int(obj: dict[str, Any], name: str, field: str = "") -> int | None:
    """A whole number or None; its range is checked with the record (see ``ingest.records``)."""
    value = obj.get(name)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise RecordError(f"field {field or name!r} must be a whole number, got {value!r:.60}")
    return value


def _bool(obj: dict[str, Any], name: str) -> bool:
    value = obj.get(name, False)
    if not isinstance(value, bool):
        raise RecordError(f"field {name!r} must be true or false, got {value!r:.60}")
    return value


def _names(obj: dict[str, Any], name: str) -> tuple[str, ...]:
    value = obj.get(name) or []
    if isinstance(value, str):
        value = [part.strip() for part in value.replace(" and ", ",").split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"field {name!r} must be a list of strings")
    return tuple(value)


def _versions(value: object) -> tuple[PaperVersion, ...]:
    """``[{"version": 1, "created": "2026-06-01"}, …]``, as :func:`paper_to_json` writes them."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RecordError("field 'versions' must be a list of {version, created} objects")
    versions = []
    for item in value:
        number = _int(item, "version", "versions.version")
        if number is None:
            raise RecordError("field 'versions.version' is missing")
        versions.append(PaperVersion(number, _optional_date(item, "created", "versions.created")))
    return tuple(versions)


def _date(obj: dict[str, Any], name: str, field: str = "") -> date:
    value = obj.get(name)
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise RecordError(f"field {field or name!r} is not a YYYY-MM-DD date: {value!r:.60}") from error


def _optional_date(obj: dict[str, Any], name: str, field: str = "") -> date | None:
    return None if obj.get(name) is None else _date(obj, name, field)

"""Hugging Face Daily Papers (``/api/daily_papers``): a JSON list of featured papers.

The day a paper is featured is ``paper.submittedOnDailyAt``; both ``publishedAt`` fields are the arXiv
date (a capture of March 2026 has a paper featured on 03-06 whose ``publishedAt`` says 02-26), so the
top-level ``publishedAt`` is only a fallback for old dumps. Every field but ``paper.id`` and
``paper.title`` may be absent or null, so every read here tolerates ``None``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.links import web_url
from paperfeed.domain.paper import Paper
from paperfeed.ingest.records import MalformedSource, Record, RecordError, Rejected
from paperfeed.ingest.text import arxiv_id_field, clean_optional, clean_text, parse_day


def parse_daily_papers(body: bytes, *, source: str = "daily papers") -> list[dict[str, Any]]:
    """The list of items; anything else (HTML, an object, truncated JSON) raises :class:`MalformedSource`."""
    if not body.strip():
        what = "answer" if source.startswith(("http://", "https://")) else "file"
        raise MalformedSource(f"{source}: the {what} is empty; expected a JSON list of daily-paper items")
    try:
        value = json.loads(body)
    except RecursionError as error:
        raise MalformedSource(f"{source}: not JSON (nested too deeply)") from error
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, integers of more than 4,300 digits
        raise MalformedSource(f"{source}: not JSON ({error})") from error
    if not isinstance(value, list):
        raise MalformedSource(
            f"{source}: expected a JSON list of daily-paper items, found {type(value).__name__}"
        )
    return value


def read_daily_papers(items: list[Any]) -> Iterator[Record | Rejected]:
    """One record per item; an item without a usable id, title or day is rejected, naming the field."""
    for position, item in enumerate(items, start=1):
        paper_obj = item.get("paper") if isinstance(item, dict) else None
        raw_id = paper_obj.get("id") if isinstance(paper_obj, dict) else None
        where = f"item {position} (id {raw_id!r:.60})"
        try:
            yield _record(item, paper_obj, where)
        except RecordError as error:
            yield Rejected(where, str(error))


# Attribute names as Hugging Face spells them, for the messages of rejected records.
FIELD_NAMES = {
    "id": "paper.id",
    "title": "paper.title",
    "abstract": "paper.summary",
    "authors": "paper.authors",
    "published": "paper.publishedAt",
    "github_repo": "paper.githubRepo",
    "project_page": "paper.projectPage",
    "featured_on": "paper.submittedOnDailyAt",
    "submitted_by": "paper.submittedOnDailyBy",
    "external_upvotes": "paper.upvotes",
    "num_comments": "numComments",
}


def _record(item: Any, paper_obj: Any, where: str) -> Record:
    if not isinstance(item, dict):
        raise RecordError(f"expected an object, found {type(item).__name__}")
    if not isinstance(paper_obj, dict):
        raise RecordError("field 'paper' is missing or not an object")
    arxiv_id = arxiv_id_field(paper_obj.get("id"), "paper.id")
    title = clean_text(_str(paper_obj, "title", "paper.title"))
    if not title:
        raise RecordError("field 'paper.title' is missing or empty")
    published = paper_obj.get("publishedAt")
    paper = Paper(
        id=arxiv_id.base,
        title=title,
        abstract=clean_text(_str(paper_obj, "summary", "paper.summary")),
        authors=_authors(paper_obj.get("authors")),
        version=arxiv_id.version or 1,
        published=parse_day(published, "paper.publishedAt") if published else None,
        github_repo=web_url(clean_optional(_str(paper_obj, "githubRepo", "paper.githubRepo"))),
        project_page=web_url(clean_optional(_str(paper_obj, "projectPage", "paper.projectPage"))),
    )
    featured_at = paper_obj.get("submittedOnDailyAt") or item.get("publishedAt")
    if not featured_at:
        raise RecordError("field 'paper.submittedOnDailyAt' (or top-level 'publishedAt') is missing")
    field = "paper.submittedOnDailyAt" if paper_obj.get("submittedOnDailyAt") else "publishedAt"
    entry = FeedEntry(
        paper_id=paper.id,
        featured_on=parse_day(featured_at, field),
        source=FeedSource.HF,
        submitted_by=(
            _submitter(paper_obj.get("submittedOnDailyBy"), "paper.submittedOnDailyBy")
            or _submitter(item.get("submittedBy"), "submittedBy")
        ),
        external_upvotes=_count(paper_obj.get("upvotes"), "paper.upvotes"),
        num_comments=_count(item.get("numComments"), "numComments"),
    )
    return Record(paper, entry, where=where, field_names=FIELD_NAMES)


def _str(obj: dict[str, Any], key: str, field: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise RecordError(f"field {field!r} must be a string, got {type(value).__name__}")
    return value


def _authors(value: Any) -> tuple[str, ...]:
    """Names in order; HF marks some authors ``hidden`` (not linked to a profile) but they are authors."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RecordError("field 'paper.authors' must be a list of {name} objects")
    names = [a.get("name") if isinstance(a, dict) else a for a in value]
    if not all(isinstance(n, str | None) for n in names):
        raise RecordError("field 'paper.authors' must be a list of {name} objects with a string name")
    return tuple(clean_text(n) for n in names if n and n.strip())


def _submitter(value: Any, field: str) -> str | None:
    """A user object (``name`` is the HF username) or, in some dumps, the username itself."""
    if isinstance(value, dict):
        value = value.get("name") or value.get("fullname")
    if value is not None and not isinstance(value, str):
        raise RecordError(f"field {field!r} must be a user object or a user name, got {type(value).__name__}")
    return clean_optional(value)


def _count(value: Any, field: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecordError(f"field {field!r} must be a non-negative integer, got {value!r:.60}")
    return value

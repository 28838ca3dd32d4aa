"""The arXiv API (https://info.arxiv.org/help/api/user-manual.html): Atom pages of search results.

An entry's ``<id>`` is the abs URL *with* version (``http://arxiv.org/abs/2410.12345v2``), ``<published>``
is when v1 was submitted and ``<updated>`` when this version was. The API reports errors not with an
HTTP status but as a feed holding one entry titled "Error"; that becomes :class:`ArxivApiError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lxml import etree

from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.paper import Paper, PaperVersion
from paperfeed.ingest.records import MalformedSource, Record, RecordError, Rejected
from paperfeed.ingest.text import (
    arxiv_id_field,
    clean_optional,
    clean_text,
    latex_to_unicode,
    looks_withdrawn,
    parse_day,
)
from paperfeed.ingest.xml import parse_root

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


class ArxivApiError(MalformedSource):
    """The arXiv API answered with an error entry (bad query, bad id, …)."""


@dataclass(frozen=True)
class AtomPage:
    """One page of results: its records and where it sits in the whole result list."""

    total: int
    start: int
    items: list[Record | Rejected]


def search_query(category: str, since: date, until: date) -> str:
    """``cat:cs.LG AND submittedDate:[202611010000 TO 202611302359]`` (arXiv's own date syntax)."""
    return f"cat:{category} AND submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"


def parse_atom_page(body: bytes, *, source: str = "arXiv API response") -> AtomPage:
    """Parse one Atom page; a body that is not an Atom feed raises :class:`MalformedSource`."""
    root = parse_root(body, f"{{{NS['atom']}}}feed", source=source, label="an Atom <feed>")
    entries = root.findall("atom:entry", NS)
    for entry in entries:
        if clean_text(entry.findtext("atom:title", "", NS)) == "Error" and "/api/errors" in (
            entry.findtext("atom:id", "", NS)
        ):
            message = clean_text(entry.findtext("atom:summary", "", NS)) or "unknown error"
            raise ArxivApiError(f"{source}: the arXiv API reported an error: {message}")
    total = _int(root.findtext("opensearch:totalResults", None, NS), "opensearch:totalResults", source)
    start = _int(root.findtext("opensearch:startIndex", "0", NS), "opensearch:startIndex", source)
    items = [_item(entry, start + i) for i, entry in enumerate(entries)]
    return AtomPage(total=total, start=start, items=items)


def _item(entry: etree._Element, position: int) -> Record | Rejected:
    raw_id = entry.findtext("atom:id", "", NS).strip()
    where = f"entry {position + 1} (id {raw_id!r:.80})"
    try:
        paper = atom_paper(entry)
        listing = FeedEntry(paper.id, paper.published, FeedSource.ARXIV) if paper.published else None
        return Record(paper, listing, where=where, field_names=FIELD_NAMES)
    except RecordError as error:
        return Rejected(where, str(error))


# Attribute names as the Atom feed spells them, for the messages of rejected records.
FIELD_NAMES = {
    "abstract": "summary",
    "authors": "author",
    "categories": "category",
    "comments": "comment",
    "featured_on": "published",
}


def atom_paper(entry: etree._Element) -> Paper:
    """One ``<entry>`` as a :class:`Paper`; raises :class:`RecordError` naming the bad element."""
    arxiv_id = arxiv_id_field(entry.findtext("atom:id", "", NS), "id")
    title = clean_text(entry.findtext("atom:title", "", NS))
    if not title:
        raise RecordError("field 'title' is missing or empty")
    published = parse_day(entry.findtext("atom:published", None, NS), "published")
    updated = parse_day(entry.findtext("atom:updated", None, NS), "updated")
    version = arxiv_id.version or 1
    versions = {version: PaperVersion(version, updated), 1: PaperVersion(1, published)}
    primary = entry.find("arxiv:primary_category", NS)
    categories = [primary.get("term")] if primary is not None and primary.get("term") else []
    categories += [c.get("term") for c in entry.findall("atom:category", NS) if c.get("term")]
    abstract = clean_text(entry.findtext("atom:summary", "", NS))
    comments = clean_optional(entry.findtext("arxiv:comment", None, NS))
    return Paper(
        id=arxiv_id.base,
        title=title,
        abstract=abstract,
        authors=tuple(
            latex_to_unicode(name)
            for author in entry.findall("atom:author", NS)
            if (name := author.findtext("atom:name", "", NS)).strip()
        ),
        categories=tuple(dict.fromkeys(categories)),
        version=version,
        versions=tuple(versions[k] for k in sorted(versions)),
        published=published,
        updated=updated,
        doi=clean_optional(entry.findtext("arxiv:doi", None, NS)),
        journal_ref=clean_optional(entry.findtext("arxiv:journal_ref", None, NS)),
        comments=comments,
        withdrawn=looks_withdrawn(comments, abstract),
    )


def _int(text: str | None, name: str, source: str) -> int:
    try:
        return int((text or "").strip())
    except ValueError as error:
        raise MalformedSource(f"{source}: <{name}> is missing or not a number: {text!r:.60}") from error

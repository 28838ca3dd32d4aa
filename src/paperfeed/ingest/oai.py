"""OAI-PMH 2.0 ``ListRecords`` pages in arXiv's ``arXiv`` metadata format.

A harvest is a chain of pages linked by ``resumptionToken``; the last page has an empty token. The
header ``datestamp`` is when the *metadata* last changed, not when the paper was submitted, so
``published`` comes from ``<created>``. Deleted records (``<header status="deleted">``) carry no metadata.
arXiv's format has no version numbers: ``<created>`` is v1's date and ``<updated>`` the latest version's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.paper import Paper, PaperVersion
from paperfeed.ingest.records import MalformedSource, Record, RecordError, Rejected
from paperfeed.ingest.text import (
    arxiv_id_field,
    author_name,
    clean_optional,
    clean_text,
    looks_withdrawn,
    parse_day,
    split_categories,
)
from paperfeed.ingest.xml import parse_root

NS = {"oai": "http://www.openarchives.org/OAI/2.0/", "arXiv": "http://arxiv.org/OAI/arXiv/"}


class OaiError(MalformedSource):
    """The repository answered with an OAI-PMH ``<error>``; ``code`` is e.g. ``badResumptionToken``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ResumptionToken:
    """Where the next page starts; an empty ``value`` means this was the last page."""

    value: str
    cursor: int | None = None
    complete_list_size: int | None = None


@dataclass
class OaiPage:
    items: list[Record | Rejected] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    token: ResumptionToken | None = None

    @property
    def is_last(self) -> bool:
        return self.token is None or not self.token.value


def parse_list_records(body: bytes, *, source: str = "OAI-PMH response") -> OaiPage:
    """Parse one page. ``noRecordsMatch`` is an empty last page, not an error; other errors raise."""
    root = parse_root(body, f"{{{NS['oai']}}}OAI-PMH", source=source, label="an <OAI-PMH> document")
    for error in root.findall("oai:error", NS):
        code = error.get("code", "")
        if code == "noRecordsMatch":
            return OaiPage()
        raise OaiError(code, _error_message(source, code, clean_text(error.text)))
    listing = root.find("oai:ListRecords", NS)
    if listing is None:
        raise MalformedSource(f"{source}: no <ListRecords> element and no <error>")
    page = OaiPage()
    for position, record in enumerate(listing.findall("oai:record", NS), start=1):
        _read_record(record, position, page)
    token = listing.find("oai:resumptionToken", NS)
    if token is not None:
        page.token = ResumptionToken(
            value=(token.text or "").strip(),
            cursor=_optional_int(token.get("cursor")),
            complete_list_size=_optional_int(token.get("completeListSize")),
        )
    return page


def _read_record(record: etree._Element, position: int, page: OaiPage) -> None:
    identifier = record.findtext("oai:header/oai:identifier", "", NS).strip()
    where = f"record {position} ({identifier[:80] or 'no identifier'})"
    header = record.find("oai:header", NS)
    try:
        if header is not None and header.get("status") == "deleted":
            page.deleted.append(arxiv_id_field(identifier.removeprefix("oai:arXiv.org:"), "identifier").base)
            return
        metadata = record.find("oai:metadata/arXiv:arXiv", NS)
        if metadata is None:
            raise RecordError("field 'metadata/arXiv' is missing (is metadataPrefix=arXiv?)")
        paper = oai_paper(metadata)
        if paper.published is None:  # oai_paper always sets it (from <created>); this tells mypy
            raise RecordError("field 'created' is missing")
        listing = FeedEntry(paper.id, paper.published, FeedSource.ARXIV)
        page.items.append(Record(paper, listing, where=where, field_names=FIELD_NAMES))
    except RecordError as error:
        page.items.append(Rejected(where, str(error)))


# Attribute names as the arXiv OAI format spells them, for the messages of rejected records.
FIELD_NAMES = {
    "published": "created",
    "featured_on": "created",
    "journal_ref": "journal-ref",
    "versions": "created",
}


def oai_paper(meta: etree._Element) -> Paper:
    """One ``<arXiv>`` metadata element as a :class:`Paper`; raises :class:`RecordError` naming the field."""
    arxiv_id = arxiv_id_field(meta.findtext("arXiv:id", "", NS), "id")
    title = clean_text(meta.findtext("arXiv:title", "", NS))
    if not title:
        raise RecordError("field 'title' is missing or empty")
    created = parse_day(meta.findtext("arXiv:created", None, NS), "created")
    updated_text = meta.findtext("arXiv:updated", None, NS)
    updated = parse_day(updated_text, "updated") if updated_text else None
    abstract = clean_text(meta.findtext("arXiv:abstract", "", NS))
    comments = clean_optional(meta.findtext("arXiv:comments", None, NS))
    authors = tuple(
        author_name(
            a.findtext("arXiv:keyname", "", NS),
            a.findtext("arXiv:forenames", "", NS),
            a.findtext("arXiv:suffix", "", NS),
        )
        for a in meta.findall("arXiv:authors/arXiv:author", NS)
    )
    return Paper(
        id=arxiv_id.base,
        title=title,
        abstract=abstract,
        authors=tuple(a for a in authors if a),
        categories=split_categories(meta.findtext("arXiv:categories", None, NS)),
        version=1,
        versions=(PaperVersion(1, created),),
        published=created,
        updated=updated or created,
        doi=clean_optional(meta.findtext("arXiv:doi", None, NS)),
        journal_ref=clean_optional(meta.findtext("arXiv:journal-ref", None, NS)),
        comments=comments,
        license=clean_optional(meta.findtext("arXiv:license", None, NS)),
        withdrawn=looks_withdrawn(comments, abstract),
    )


def _error_message(source: str, code: str, text: str) -> str:
    if code == "badResumptionToken":
        return (
            f"{source}: the repository no longer accepts our resumption token ({text or code}); "
            "the harvest was reset and the next run starts again from the first page"
        )
    return f"{source}: OAI-PMH error {code or '(no code)'}: {text or 'no message'}"


def _optional_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None

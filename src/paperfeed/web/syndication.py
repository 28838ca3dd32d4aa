"""RSS 2.0 and Atom 1.0 documents for any list of papers, built with lxml (which does the escaping).

Feed readers show text, not MathML: titles, summaries and names have their TeX read as plain text
(``S$^2$COPE`` → ``S^2COPE``, ``\\emph{x}`` → ``x``) by :func:`paperfeed.domain.tex.to_plain`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime

from lxml import etree

from paperfeed.domain.paper import Paper
from paperfeed.domain.tex import to_plain

ATOM_NS = "http://www.w3.org/2005/Atom"
# XML 1.0 forbids most control characters; arXiv abstracts occasionally carry them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class FeedItem:
    paper: Paper
    link: str
    day: date | None  # the day it was featured, else published
    reasons: tuple[str, ...] = ()  # why a personal feed holds it, in the reader's words

    @property
    def description(self) -> str:
        """The abstract, after the reasons when there are any (feed readers show only this text)."""
        abstract = to_plain(self.paper.abstract)
        if not self.reasons:
            return abstract
        return f"Why: {' · '.join(self.reasons)}. — {abstract}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", " ".join(text.split()))


def _when(day: date | None) -> datetime:
    return datetime.combine(day or date(1970, 1, 1), time(0, 0), tzinfo=UTC)


def rss(title: str, link: str, self_url: str, description: str, items: Sequence[FeedItem]) -> bytes:
    root = etree.Element("rss", version="2.0", nsmap={"atom": ATOM_NS})
    channel = etree.SubElement(root, "channel")
    for tag, value in (("title", title), ("link", link), ("description", description)):
        etree.SubElement(channel, tag).text = _clean(value)
    etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=self_url, rel="self", type="application/rss+xml")
    for item in items:
        node = etree.SubElement(channel, "item")
        etree.SubElement(node, "title").text = _clean(to_plain(item.paper.title))
        etree.SubElement(node, "link").text = item.link
        etree.SubElement(node, "guid", isPermaLink="true").text = item.link
        etree.SubElement(node, "description").text = _clean(item.description)
        etree.SubElement(node, "pubDate").text = format_datetime(_when(item.day))
        for category in item.paper.categories:
            etree.SubElement(node, "category").text = category
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def atom(title: str, link: str, self_url: str, items: Sequence[FeedItem]) -> bytes:
    root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})

    def add(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        node = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", **attrs)
        if text is not None:
            node.text = _clean(text)
        return node

    newest = max((_when(i.day) for i in items), default=_when(None))
    add(root, "title", title)
    add(root, "id", self_url)
    add(root, "updated", newest.isoformat())
    add(root, "link", href=self_url, rel="self", type="application/atom+xml")
    add(root, "link", href=link, rel="alternate", type="text/html")
    for item in items:
        entry = add(root, "entry")
        add(entry, "title", to_plain(item.paper.title))
        add(entry, "id", item.link)
        add(entry, "link", href=item.link, rel="alternate")
        add(entry, "updated", _when(item.day).isoformat())
        add(entry, "summary", item.description)
        for name in item.paper.authors or ("unknown",):
            add(add(entry, "author"), "name", to_plain(name))
        for category in item.paper.categories:
            add(entry, "category", term=category)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")

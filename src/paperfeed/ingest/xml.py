"""Parsing untrusted XML responses (arXiv Atom, OAI-PMH) safely and with errors that name the source."""

from __future__ import annotations

from lxml import etree

from paperfeed.ingest.records import MalformedSource

# No entity expansion and no network access: a hostile or broken response cannot reach outside the parser.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


def parse_root(body: bytes, expected_tag: str, *, source: str, label: str) -> etree._Element:
    """The document element of ``body``; not XML, or another root than ``expected_tag``, is malformed."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise MalformedSource(f"{source}: not XML ({error})") from error
    if root.tag != expected_tag:
        found = etree.QName(root).localname
        raise MalformedSource(f"{source}: expected {label}, found <{found}>")
    return root

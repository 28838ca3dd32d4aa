"""arXiv API answers (Atom 1.0 + arXiv + OpenSearch namespaces, as in the API user manual) built from real
papers: the recorded fixtures (``tests/fixtures/make_fixtures.py``) and tests that need a day of papers use
the same writer."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

ATOM_NS = (
    'xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
)


def wrap(text: str, indent: str = "  ") -> str:
    """arXiv's own wrapping of titles: 70-ish columns, continuation lines indented by two spaces."""
    return ("\n" + indent).join(textwrap.wrap(text, 72))


def atom_entry(
    paper: dict,
    published: datetime,
    *,
    version: int = 1,
    doi: str | None = None,
    journal_ref: str | None = None,
) -> str:
    """One ``<entry>`` as the arXiv API writes it, for a paper in the shared dump's form (id, title,
    abstract, authors, categories, comment)."""
    updated = published + timedelta(days=3 * (version - 1), hours=version - 1)
    cats = paper["categories"]
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{paper['id']}v{version}</id>",
        f"    <updated>{updated:%Y-%m-%dT%H:%M:%SZ}</updated>",
        f"    <published>{published:%Y-%m-%dT%H:%M:%SZ}</published>",
        f"    <title>{escape(wrap(paper['title']))}</title>",
        f"    <summary>  {escape(paper['abstract'])}\n</summary>",
        *(f"    <author>\n      <name>{escape(name)}</name>\n    </author>" for name in paper["authors"]),
    ]
    if doi:
        lines.append(f"    <arxiv:doi>{escape(doi)}</arxiv:doi>")
        lines.append(f'    <link title="doi" href="https://doi.org/{escape(doi)}" rel="related"/>')
    if paper.get("comment"):
        lines.append(f"    <arxiv:comment>{escape(paper['comment'])}</arxiv:comment>")
    if journal_ref:
        lines.append(f"    <arxiv:journal_ref>{escape(journal_ref)}</arxiv:journal_ref>")
    lines += [
        f'    <link href="http://arxiv.org/abs/{paper["id"]}v{version}" rel="alternate" type="text/html"/>',
        f'    <link title="pdf" href="http://arxiv.org/pdf/{paper["id"]}v{version}" rel="related" '
        'type="application/pdf"/>',
        f'    <arxiv:primary_category term="{cats[0]}" scheme="http://arxiv.org/schemas/atom"/>',
        *(f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>' for c in cats),
        "  </entry>",
    ]
    return "\n".join(lines)


def atom_feed(query: str, entries: list[str], *, total: int, start: int, per_page: int) -> str:
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f"<feed {ATOM_NS}>",
            f'  <link href="http://arxiv.org/api/query?{escape(query)}" rel="self" '
            'type="application/atom+xml"/>',
            f'  <title type="html">ArXiv Query: {escape(query)}</title>',
            "  <id>http://arxiv.org/api/7xT1kPIcW3y3QMVg1O9Yb1dCpuc</id>",
            "  <updated>2026-06-17T00:00:00-04:00</updated>",
            f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
            f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
            f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
            *entries,
            "</feed>",
            "",
        ]
    )

"""A user submits one paper by arXiv id or URL: fetch it from the arXiv API and feature it today.

Shared by ``paperfeed submit`` and the web app, so both store the same thing: the paper itself, its arXiv
listing day (like every other source) and a SUBMISSION feed entry on the day it was submitted here.
"""

from __future__ import annotations

from datetime import date

from paperfeed.config import get_settings
from paperfeed.domain.arxiv_id import parse_arxiv_id
from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.paper import Paper
from paperfeed.ingest.arxiv_api import parse_atom_page
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.records import Record, Rejected
from paperfeed.store import Database
from paperfeed.store.feed import upsert_feed_entries
from paperfeed.store.papers import get_paper, upsert_papers


class PaperNotFound(ValueError):
    """arXiv has no paper under the submitted id (it parsed, but nothing came back)."""


def submit_paper(
    db: Database,
    text: str,
    *,
    submitted_by: str,
    today: date | None = None,
    client: PoliteClient | None = None,
) -> Paper:
    """Fetch ``text`` (``2410.12345``, ``arXiv:…``, an abs/pdf URL) and feature it on ``today``.

    Raises ``InvalidArxivId`` for text that is not an id, :class:`PaperNotFound` when arXiv does not
    know it, and ``SourceUnavailable`` when arXiv cannot be reached; nothing is stored in those cases.
    """
    arxiv_id = parse_arxiv_id(text)
    record = _fetch(arxiv_id.base, client)
    day = today or date.today()
    entries = [e for e in (record.feed_entry,) if e is not None and e.featured_on != day]
    entries.append(FeedEntry(record.paper.id, day, FeedSource.SUBMISSION, submitted_by=submitted_by))
    with db.session() as session:
        upsert_papers(session, [record.paper])
        upsert_feed_entries(session, entries)
        stored = get_paper(session, record.paper.id)
    assert stored is not None  # just written in this transaction
    return stored


def _fetch(paper_id: str, client: PoliteClient | None) -> Record:
    url = get_settings().arxiv_api_url
    own = client is None
    http = client or PoliteClient.from_settings()
    try:
        response = http.get(url, params={"id_list": paper_id, "max_results": 1})
    finally:
        if own:
            http.close()
    page = parse_atom_page(response.content, source=f"arXiv API answer for {paper_id}")
    for item in page.items:
        if isinstance(item, Record) and item.paper.id == paper_id:
            return item
        if isinstance(item, Rejected):
            raise PaperNotFound(f"arXiv returned an unreadable record for {paper_id}: {item.reason}")
    raise PaperNotFound(f"arXiv has no paper {paper_id}; check the id (e.g. 2410.12345)")

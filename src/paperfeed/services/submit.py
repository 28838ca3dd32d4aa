"""Fetch one submitted paper from the arXiv API and feature it on the day it was submitted.

The submission worker (``services/submissions.py``) and ``paperfeed submit`` go through here, so both store
the same thing: the paper itself, its arXiv listing day (like every other source) and a SUBMISSION feed
entry on the day it was submitted here. Every request to arXiv is sent in a turn of the politeness limiter
in the database (``store/pacing.py``), which every process and node shares: one request at a time and
``PAPERFEED_REQUEST_INTERVAL_S`` between them in total, however many submissions, workers and servers.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from datetime import date

from paperfeed.config import Settings, get_settings
from paperfeed.domain.arxiv_id import parse_arxiv_id
from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.paper import Paper
from paperfeed.ingest.arxiv_api import parse_atom_page
from paperfeed.ingest.http import PoliteClient, SourceUnavailable
from paperfeed.ingest.records import Record, Rejected
from paperfeed.store import Database
from paperfeed.store.feed import upsert_feed_entries
from paperfeed.store.pacing import ARXIV, turn
from paperfeed.store.papers import get_paper, upsert_papers

MAX_RETRY_DELAY_S = 600.0


class PaperNotFound(ValueError):
    """arXiv has no paper under the submitted id (it parsed, but nothing came back)."""


def submit_paper(
    db: Database,
    text: str,
    *,
    submitted_by: str,
    today: date | None = None,
    client: PoliteClient | None = None,
    settings: Settings | None = None,
) -> Paper:
    """Fetch ``text`` (``2410.12345``, ``arXiv:…``, an abs/pdf URL) and feature it on ``today``, waiting for
    arXiv (with retries): for scripts and the CLI. Web requests queue a submission instead.

    Raises ``InvalidArxivId`` for text that is not an id, :class:`PaperNotFound` when arXiv does not
    know it, and ``SourceUnavailable`` when arXiv cannot be reached; nothing is stored in those cases.
    """
    settings = settings or get_settings()
    arxiv_id = parse_arxiv_id(text)
    with nullcontext(client) if client is not None else arxiv_client(settings) as http:
        for attempt in range(settings.http_retries + 1):
            try:
                record = fetch_record(db, arxiv_id.base, client=http, settings=settings)
                break
            except SourceUnavailable:
                if attempt == settings.http_retries:
                    raise
                time.sleep(retry_delay(attempt + 1, settings.request_interval_s))
    return feature_paper(db, record, submitted_by=submitted_by, day=today or date.today())


def arxiv_client(settings: Settings) -> PoliteClient:
    """A client that leaves pacing and retries to the caller: every attempt must take a shared turn."""
    return PoliteClient(
        interval_s=0.0, retries=0, timeout_s=settings.http_timeout_s, user_agent=settings.user_agent
    )


def fetch_record(db: Database, paper_id: str, *, client: PoliteClient, settings: Settings) -> Record:
    """One request to the arXiv API, in our turn. Raises ``SourceUnavailable`` (worth retrying later),
    :class:`PaperNotFound` or ``MalformedSource`` (not worth it)."""
    with turn(db, ARXIV, settings.request_interval_s, hold_s=2 * settings.http_timeout_s + 10):
        response = client.get(settings.arxiv_api_url, params={"id_list": paper_id, "max_results": 1})
    page = parse_atom_page(response.content, source=f"arXiv API answer for {paper_id}")
    for item in page.items:
        if isinstance(item, Record) and item.paper.id == paper_id:
            return item
        if isinstance(item, Rejected):
            raise PaperNotFound(f"arXiv returned an unreadable record for {paper_id}: {item.reason}")
    raise PaperNotFound(f"arXiv has no paper {paper_id}; check the id (e.g. 2410.12345)")


def feature_paper(db: Database, record: Record, *, submitted_by: str, day: date) -> Paper:
    """Store the fetched paper and feature it on ``day`` as a submission (idempotent)."""
    entries = [e for e in (record.feed_entry,) if e is not None and e.featured_on != day]
    entries.append(FeedEntry(record.paper.id, day, FeedSource.SUBMISSION, submitted_by=submitted_by))
    with db.session() as session:
        upsert_papers(session, [record.paper])
        upsert_feed_entries(session, entries)
        stored = get_paper(session, record.paper.id)
    assert stored is not None  # just written in this transaction
    return stored


def retry_delay(attempt: int, interval_s: float) -> float:
    """Seconds before retry number ``attempt`` (1, 2, …): the interval, then ×4 each time, capped."""
    return min(max(interval_s, 0.5) * 4 ** (attempt - 1), MAX_RETRY_DELAY_S)

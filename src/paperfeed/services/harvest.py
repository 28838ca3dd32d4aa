"""Network harvests (arXiv API, OAI-PMH): page by page, each page committed with its checkpoint.

Unlike a local file, a harvest can take hours and be interrupted by the network, a deploy or a kill -9.
Each page's papers are stored in the same transaction as the job checkpoint saying "this page is done",
so a rerun of the same command continues from the last committed page and never stores a page twice
or skips one. A harvest whose source stops answering stays "running" and is resumed by the next run; one
whose checkpoint became useless (OAI ``badResumptionToken``) is marked failed and restarts from page 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import partial
from typing import TypeVar

from sqlalchemy.orm import Session

from paperfeed.config import Settings, get_settings
from paperfeed.ingest.arxiv_api import parse_atom_page, search_query
from paperfeed.ingest.http import PoliteClient, SourceUnavailable
from paperfeed.ingest.oai import OaiError, OaiPage, parse_list_records
from paperfeed.ingest.pipeline import IngestSummary, run_ingest
from paperfeed.ingest.records import MalformedSource
from paperfeed.store import Database
from paperfeed.store.jobs import JobState, finish_job, save_checkpoint, start_job
from paperfeed.store.papers import UpsertCounts, get_papers, upsert_papers

#: Called after each committed page with (records done so far, expected total if the source says).
OnPage = Callable[[int, int | None], None]
T = TypeVar("T")
ARXIV_PAGE_SIZE = 100
EMPTY_PAGE_RETRIES = 3


def harvest_arxiv(
    db: Database,
    category: str,
    since: date,
    until: date | None = None,
    *,
    max_results: int | None = None,
    page_size: int = ARXIV_PAGE_SIZE,
    client: PoliteClient | None = None,
    on_page: OnPage | None = None,
    settings: Settings | None = None,
) -> IngestSummary:
    """Papers of ``category`` submitted from ``since`` to ``until`` (inclusive), oldest first."""
    until = until or datetime.now(UTC).date()  # arXiv's days are UTC days, not the server's local ones
    if until < since:
        raise ValueError(f"--until {until} is before --since {since}")
    key = f"{category}|{since}|{until}|{max_results or ''}"
    url = (settings or get_settings()).arxiv_api_url
    with db.session() as session:
        job = start_job(session, "arxiv", key)
    start = int(job.checkpoint.get("start", 0))
    empty_answers = 0
    summary = IngestSummary()
    with _using(client) as http:
        while max_results is None or start < max_results:
            size = page_size if max_results is None else min(page_size, max_results - start)
            response = http.get(
                url,
                params={
                    "search_query": search_query(category, since, until),
                    "start": start,
                    "max_results": size,
                    "sortBy": "submittedDate",
                    "sortOrder": "ascending",
                },
            )
            page = _failing_job(db, job, partial(parse_atom_page, response.content, source=str(response.url)))
            page.items[size:] = []  # never store more than --max asked for, whatever the server sent
            total = page.total if max_results is None else min(page.total, max_results)
            if not page.items and start < total:
                # The arXiv API now and then answers a page inside the result set with no entries; asking
                # again (still paced) gets it. Ending here would silently cut the harvest short.
                empty_answers += 1
                if empty_answers > EMPTY_PAGE_RETRIES:
                    raise SourceUnavailable(
                        f"the arXiv API keeps answering empty pages at {start} of {total} results; "
                        "run the same command again later to resume from there"
                    )
                continue
            empty_answers = 0
            start += len(page.items)
            last = not page.items or start >= total
            with db.session() as session:
                summary.merge(run_ingest(session, page.items))
                _commit_progress(session, job, {"start": start}, summary, last=last)
            if on_page is not None:
                on_page(start, total)
            if last:
                break
    return summary


def harvest_oai(
    db: Database,
    set_spec: str,
    from_day: date,
    until: date | None = None,
    *,
    client: PoliteClient | None = None,
    on_page: OnPage | None = None,
    settings: Settings | None = None,
) -> IngestSummary:
    """``ListRecords`` of ``set_spec`` changed from ``from_day``; resumes from a saved resumption token."""
    if until is not None and until < from_day:
        raise ValueError(f"--until {until} is before --from {from_day}")
    key = f"{set_spec}|{from_day}|{until or ''}"
    url = (settings or get_settings()).oai_url
    with db.session() as session:
        job = start_job(session, "oai", key)
    token: str | None = job.checkpoint.get("token")
    done = int(job.checkpoint.get("done", 0))
    summary = IngestSummary()
    with _using(client) as http:
        while True:
            params = (
                {"verb": "ListRecords", "resumptionToken": token}
                if token
                else _first_page(set_spec, from_day, until)
            )
            response = http.get(url, params=params)
            page = _failing_job(
                db, job, partial(parse_list_records, response.content, source=str(response.url))
            )
            done += len(page.items) + len(page.deleted)
            token = None if page.is_last or page.token is None else page.token.value  # is_last: no token
            with db.session() as session:
                summary.merge(run_ingest(session, page.items))
                summary.add_papers(_mark_withdrawn(session, page))
                checkpoint = {"token": token, "done": done, **_token_position(page)}
                _commit_progress(session, job, checkpoint, summary, last=token is None)
            if on_page is not None:
                on_page(done, page.token.complete_list_size if page.token else done)
            if token is None:
                return summary


def _first_page(set_spec: str, from_day: date, until: date | None) -> dict[str, str]:
    params = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": set_spec, "from": from_day.isoformat()}
    if until is not None:
        params["until"] = until.isoformat()
    return params


def _mark_withdrawn(session: Session, page: OaiPage) -> UpsertCounts:
    """Deleted records: papers we know are marked withdrawn; ones we never saw are simply skipped."""
    known = get_papers(session, page.deleted)
    return upsert_papers(session, [replace(paper, withdrawn=True) for paper in known.values()])


def _token_position(page: OaiPage) -> dict[str, int | None]:
    if page.token is None:
        return {}
    return {"cursor": page.token.cursor, "complete_list_size": page.token.complete_list_size}


def _commit_progress(
    session: Session, job: JobState, checkpoint: dict, summary: IngestSummary, *, last: bool
) -> None:
    """Save the checkpoint (or finish the job) inside the page's own transaction."""
    counts = {k: job.counts.get(k, 0) + v for k, v in summary.as_counts().items()}
    if last:
        finish_job(session, job.id, counts)
    else:
        save_checkpoint(session, job.id, checkpoint, counts)


def _failing_job(db: Database, job: JobState, parse: Callable[[], T]) -> T:
    """Run ``parse``; a response that can never be resumed from marks the job failed, then re-raises.

    A bad resumption token, an API error or a malformed page would fail again on resume, so the job is
    closed and the next run starts afresh. (Network failures never get here: they stay resumable.)
    """
    try:
        return parse()
    except MalformedSource as error:
        message = str(error)
        if isinstance(error, OaiError) and error.code == "badResumptionToken":
            message = f"badResumptionToken: {message}"
        with db.session() as session:
            finish_job(session, job.id, job.counts, error=message)
        raise


@contextmanager
def _using(client: PoliteClient | None) -> Iterator[PoliteClient]:
    """The caller's client as is (the web app shares one), or a fresh one from settings, closed after."""
    if client is not None:
        yield client
        return
    with PoliteClient.from_settings() as own:
        yield own

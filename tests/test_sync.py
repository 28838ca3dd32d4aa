"""`paperfeed sync` against a local server replaying real-format arXiv API (and Hugging Face) answers, on
both backends: catch-up after downtime fetches each missing day once, a second sync changes nothing, empty
days are fine, a failed sync resumes where it stopped, and two syncs started together make one run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.ingest.arxiv_api import search_query
from paperfeed.ingest.http import SourceUnavailable
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.records import Record
from paperfeed.services.sync import days_to_sync, run_sync, sync_status
from paperfeed.store import Database
from paperfeed.store.feed import latest_feed_day
from paperfeed.store.papers import count_papers
from tests.support.atom import atom_entry, atom_feed
from tests.support.live_server import SAMPLE
from tests.support.replay import ATOM, ReplayServer, Reply, fixture

TODAY = date(2026, 7, 3)
CATEGORIES = ("cs.CL", "cs.LG")


@pytest.fixture
def arxiv() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        yield server


def _settings(server: ReplayServer, tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {
        "home": tmp_path,
        "secret_key": "k",
        "request_interval_s": 0,
        "sync_categories": ",".join(CATEGORIES),
        "arxiv_api_url": server.url("/api/query"),
        "hf_daily_url": server.url("/api/daily_papers"),
    }
    return Settings(_env_file=None, **(values | extra))  # type: ignore[call-arg, arg-type]


def _sample_papers(count: int) -> list[dict]:
    records = [r for r in read_jsonl(SAMPLE) if isinstance(r, Record)][:count]
    return [
        {
            "id": r.paper.id,
            "title": r.paper.title,
            "abstract": r.paper.abstract,
            "authors": list(r.paper.authors),
            "categories": list(r.paper.categories),
            "comment": r.paper.comments,
        }
        for r in records
    ]


def _script_day(server: ReplayServer, category: str, day: date, papers: list[dict]) -> None:
    """The arXiv API's answer for one category and submission day (one page)."""
    published = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    query = search_query(category, day, day)
    body = atom_feed(
        f"search_query={query}",
        [atom_entry(p, published) for p in papers],
        total=len(papers),
        start=0,
        per_page=100,
    )
    server.script("/api/query", Reply(200, body.encode(), ATOM), search_query=query)


def _requests_for(server: ReplayServer, category: str, day: date) -> int:
    query = search_query(category, day, day)
    return sum(1 for r in server.requests_to("/api/query") if r.query.get("search_query") == query)


def test_days_to_sync_are_the_complete_days_since_the_last_one() -> None:
    assert days_to_sync(None, TODAY) == [date(2026, 7, 1), date(2026, 7, 2)]
    assert days_to_sync(date(2026, 6, 28), TODAY) == [date(2026, 6, 29) + timedelta(days=n) for n in range(4)]
    assert days_to_sync(date(2026, 7, 2), TODAY) == []
    assert len(days_to_sync(date(2025, 1, 1), TODAY)) == 31  # a longer gap is a bulk harvest's job


def test_a_sync_after_downtime_fetches_each_missing_day_once_and_again_changes_nothing(
    db: Database, arxiv: ReplayServer, tmp_path: Path
) -> None:
    settings = _settings(arxiv, tmp_path)
    papers = _sample_papers(24)
    first_day = date(2026, 6, 28)
    for category in CATEGORIES:
        _script_day(arxiv, category, first_day, [])
    run_sync(db, settings, since=first_day, today=first_day + timedelta(days=1), embed=False)
    assert sync_status(db).last_day == first_day
    missing = [date(2026, 6, 29), date(2026, 6, 30), date(2026, 7, 1)]  # the server was down three days
    for n, day in enumerate(missing):
        for k, category in enumerate(CATEGORIES):
            _script_day(arxiv, category, day, papers[(2 * n + k) * 4 : (2 * n + k + 1) * 4])
    _script_day(arxiv, "cs.CL", date(2026, 7, 2), [])  # a day without listings is not an error
    _script_day(arxiv, "cs.LG", date(2026, 7, 2), [])

    report = run_sync(db, settings, today=date(2026, 7, 3), embed=False)

    assert report.days == [*missing, date(2026, 7, 2)]
    assert all(_requests_for(arxiv, c, d) == 1 for c in CATEGORIES for d in [first_day, *report.days])
    assert report.papers.new == 24 and count_papers_in(db) == 24
    with db.sessions() as session:
        assert latest_feed_day(session, not_after=TODAY) == date(2026, 7, 1)
    status = sync_status(db)
    assert status.last_day == date(2026, 7, 2) and status.last_error is None and status.last_success

    seen = len(arxiv.requests)
    again = run_sync(db, settings, today=date(2026, 7, 3), embed=False)
    assert again.days == [] and again.papers.new == 0 and len(arxiv.requests) == seen


def count_papers_in(db: Database) -> int:
    with db.sessions() as session:
        return count_papers(session)


def test_a_failed_sync_records_why_and_the_next_one_resumes_at_the_failed_day(
    db: Database, arxiv: ReplayServer, tmp_path: Path
) -> None:
    settings = _settings(arxiv, tmp_path, http_retries=0)
    papers = _sample_papers(8)
    days = [date(2026, 6, 30), date(2026, 7, 1)]
    for category in CATEGORIES:
        _script_day(arxiv, category, days[0], papers[:2] if category == "cs.CL" else papers[2:4])
    query = search_query("cs.LG", days[1], days[1])
    arxiv.script("/api/query", Reply(503, b"down for maintenance"), search_query=query)
    _script_day(arxiv, "cs.CL", days[1], papers[4:6])

    with pytest.raises(SourceUnavailable, match="503"):
        run_sync(db, settings, since=days[0], today=date(2026, 7, 2), embed=False)
    status = sync_status(db)
    assert status.last_day == days[0] and "HTTP 503" in (status.last_error or "")
    assert status.running is None

    _script_day(arxiv, "cs.LG", days[1], papers[6:8])
    resumed = run_sync(db, settings, today=date(2026, 7, 2), embed=False)
    assert resumed.days == [days[1]]
    assert _requests_for(arxiv, "cs.CL", days[0]) == 1  # the finished day is not fetched again
    assert count_papers_in(db) == 8 and sync_status(db).last_error is None


def test_two_syncs_started_together_make_one_run(db: Database, arxiv: ReplayServer, tmp_path: Path) -> None:
    settings = _settings(arxiv, tmp_path)
    day = date(2026, 7, 2)
    release = threading.Event()
    held = atom_feed("q", [], total=0, start=0, per_page=100).encode()
    arxiv.script(
        "/api/query", Reply(200, held, ATOM, hold=release), search_query=search_query("cs.CL", day, day)
    )
    _script_day(arxiv, "cs.LG", day, [])
    first: dict[str, object] = {}
    thread = threading.Thread(
        target=lambda: first.update(report=run_sync(db, settings, since=day, today=TODAY, embed=False))
    )
    thread.start()
    arxiv.wait_for_requests(1)
    second = run_sync(db, settings, since=day, today=TODAY, embed=False)
    assert second.skipped and "another sync is running" in second.skipped
    assert sync_status(db).running is not None
    release.set()
    thread.join(timeout=60)
    assert first["report"].skipped is None  # type: ignore[attr-defined]
    assert _requests_for(arxiv, "cs.CL", day) == 1 and sync_status(db).running is None


def test_hugging_face_daily_papers_come_with_the_same_days(
    db: Database, arxiv: ReplayServer, tmp_path: Path
) -> None:
    settings = _settings(arxiv, tmp_path, sync_hugging_face=True)
    day = date(2026, 7, 2)
    for category in CATEGORIES:
        _script_day(arxiv, category, day, [])
    arxiv.script(
        "/api/daily_papers",
        fixture("hf/daily_papers.json", headers={"Content-Type": "application/json"}),
        date=day.isoformat(),
    )
    report = run_sync(db, settings, since=day, today=TODAY, embed=False)
    assert report.hugging_face is not None and report.hugging_face.new > 0
    assert [r.query for r in arxiv.requests_to("/api/daily_papers")] == [{"date": "2026-07-02"}]


def test_no_categories_is_a_clear_error(db: Database, arxiv: ReplayServer, tmp_path: Path) -> None:
    settings = _settings(arxiv, tmp_path, sync_categories="")
    with pytest.raises(ValueError, match="PAPERFEED_SYNC_CATEGORIES"):
        run_sync(db, settings, categories=(), today=TODAY)

"""Hugging Face Daily Papers import: featured day, submitter, votes, links; nulls tolerated; both backends."""

from __future__ import annotations

import json
from datetime import date

import pytest

from paperfeed.domain import FeedEntry, FeedSource, Paper
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.records import MalformedSource
from paperfeed.services.hf_daily import import_hf_daily
from paperfeed.store.feed import entries_for_paper
from paperfeed.store.papers import count_papers, get_paper, upsert_papers
from tests.support.replay import FIXTURES, JSON, Reply, fixture, serve_replay

replay = pytest.fixture(serve_replay)
DAILY = FIXTURES / "hf" / "daily_papers.json"


def entry(paper_id: str, db) -> FeedEntry:  # type: ignore[no-untyped-def]
    with db.sessions() as s:
        (only,) = entries_for_paper(s, paper_id)
    return only


def test_featured_day_submitter_votes_and_links_are_imported(db):
    summary = import_hf_daily(db, str(DAILY))
    assert (summary.new, summary.rejected, summary.feed_new) == (4, 0, 4)
    with db.sessions() as s:
        full = get_paper(s, "2606.28729")
        sparse = get_paper(s, "2606.28842")
    # Featured on submittedOnDailyAt (07-02), not on either publishedAt (the arXiv date, 06-28).
    featured = FeedEntry("2606.28729", date(2026, 7, 2), FeedSource.HF, "akhaliq", 40, 0)
    assert entry("2606.28729", db) == featured
    assert full.published == date(2026, 6, 28)
    assert full.github_repo == "https://github.com/example-lab/2606-28729"
    assert full.project_page == "https://example-lab.github.io/2606.28729/"
    assert len(full.authors) == 4 and full.abstract
    # No daily submitter: the item's submittedBy; null repo and missing project page stay unknown.
    assert entry("2606.28778", db).submitted_by == "janedoe"
    with db.sessions() as s:
        assert get_paper(s, "2606.28778").github_repo is None
    # An old dump without submittedOnDailyAt falls back to the top-level publishedAt.
    assert entry("2606.28802", db).featured_on == date(2026, 6, 29)
    # Everything optional null: still a paper and an entry, with zero votes and no submitter.
    assert entry("2606.28842", db) == FeedEntry("2606.28842", date(2026, 7, 2), FeedSource.HF, None, 0, 0)
    assert sparse.authors == () and sparse.abstract == ""


def test_importing_twice_changes_nothing(db):
    import_hf_daily(db, str(DAILY))
    again = import_hf_daily(db, str(DAILY))
    assert (again.new, again.updated, again.unchanged, again.feed_new, again.feed_updated) == (0, 0, 4, 0, 0)


def test_hf_fills_links_without_erasing_what_arxiv_knows(db):
    with db.session() as s:
        known = Paper(id="2606.28729", title="Convertible Codes", categories=("cs.IT",), version=2)
        upsert_papers(s, [known])
    import_hf_daily(db, str(DAILY))
    with db.sessions() as s:
        paper = get_paper(s, "2606.28729")
    assert paper.categories == ("cs.IT",) and paper.version == 2
    assert paper.github_repo == "https://github.com/example-lab/2606-28729"


def test_a_url_is_fetched_with_the_polite_client(db, replay):
    replay.script("/api/daily_papers", fixture("hf/daily_papers.json", headers=JSON), date="2026-07-02")
    with PoliteClient(interval_s=0) as client:
        summary = import_hf_daily(db, replay.url("/api/daily_papers?date=2026-07-02"), client=client)
    assert summary.new == 4
    assert [r.query for r in replay.requests] == [{"date": "2026-07-02"}]


def test_malformed_items_are_rejected_by_field_and_the_rest_goes_in(db, tmp_path):
    items = json.loads(DAILY.read_text(encoding="utf-8"))
    items[1]["paper"]["title"] = None
    items[2]["paper"]["upvotes"] = "many"
    items.append({"paper": {"title": "No id"}})
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    summary = import_hf_daily(db, str(path))
    assert (summary.new, summary.rejected) == (2, 3)
    reasons = {r.where: r.reason for r in summary.rejections}
    assert "field 'paper.title'" in reasons["item 2 (id '2606.28778')"]
    assert "field 'paper.upvotes'" in reasons["item 3 (id '2606.28802')"]
    assert "field 'paper.id'" in reasons["item 5 (id None)"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<!doctype html><title>Too Many Requests</title>", "not JSON"),
        (b'{"error": "Invalid date"}', "expected a JSON list"),
        (DAILY.read_bytes()[:500], "not JSON"),
    ],
)
def test_a_malformed_file_is_a_clear_error_and_stores_nothing(db, tmp_path, body, message):
    path = tmp_path / "daily.json"
    path.write_bytes(body)
    with pytest.raises(MalformedSource, match=message):
        import_hf_daily(db, str(path))
    with db.sessions() as s:
        assert count_papers(s) == 0


def test_an_error_status_from_the_url_is_a_clear_error(db, replay):
    replay.script("/api/daily_papers", Reply(404, b'{"error":"Not Found"}', JSON))
    with PoliteClient(interval_s=0, retries=0) as client, pytest.raises(MalformedSource, match="HTTP 404"):
        import_hf_daily(db, replay.url("/api/daily_papers"), client=client)


def test_links_that_are_not_http_urls_are_dropped_and_bare_hosts_get_https(db, tmp_path):
    items = [
        {
            "paper": {
                "id": "2607.00003",
                "title": "Links",
                "githubRepo": "javascript:alert(1)",
                "projectPage": "github.com/someone/project",
                "submittedOnDailyAt": "2026-07-01T00:00:00Z",
            }
        }
    ]
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(items))
    import_hf_daily(db, str(path))
    with db.sessions() as s:
        paper = get_paper(s, "2607.00003")
    assert paper.github_repo is None
    assert paper.project_page == "https://github.com/someone/project"

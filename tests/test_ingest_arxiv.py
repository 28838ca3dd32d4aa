"""The arXiv API harvest, one-paper submission and the polite HTTP client, against a real local server."""

from __future__ import annotations

from datetime import date

import pytest

from paperfeed.domain import FeedEntry, FeedSource, PaperVersion
from paperfeed.domain.arxiv_id import InvalidArxivId
from paperfeed.ingest.arxiv_api import ArxivApiError
from paperfeed.ingest.http import PoliteClient, SourceUnavailable
from paperfeed.ingest.records import MalformedSource
from paperfeed.services.harvest import harvest_arxiv
from paperfeed.services.submit import PaperNotFound, submit_paper
from paperfeed.store.feed import entries_for_paper
from paperfeed.store.jobs import list_jobs
from paperfeed.store.papers import count_papers, get_paper
from tests.support.replay import ATOM, FIXTURES, Reply, fixture, serve_replay

replay = pytest.fixture(serve_replay)
API = "/api/query"
SINCE, UNTIL = date(2026, 6, 14), date(2026, 6, 15)


def script_pages(replay, **overrides: Reply) -> None:  # type: ignore[no-untyped-def]
    for start in ("0", "2", "4"):
        reply = overrides.get(f"start_{start}") or fixture(f"arxiv_api/cs.LG-start-{start}.xml", headers=ATOM)
        replay.script(API, reply, start=start)


def harvest(db, **kwargs):  # type: ignore[no-untyped-def]
    return harvest_arxiv(db, "cs.LG", SINCE, UNTIL, page_size=2, **kwargs)


def test_harvest_pages_through_the_query_and_imports_the_right_fields(db, replay):
    script_pages(replay)
    summary = harvest(db)
    assert (summary.new, summary.rejected, summary.feed_new) == (5, 0, 5)
    seen = replay.requests_to(API)
    assert [r.query["start"] for r in seen] == ["0", "2", "4"]
    assert {r.query["search_query"] for r in seen} == {
        "cat:cs.LG AND submittedDate:[202606140000 TO 202606152359]"
    }
    assert {(r.query["sortBy"], r.query["max_results"]) for r in seen} == {("submittedDate", "2")}
    with db.sessions() as s:
        revised = get_paper(s, "2606.16219")
        with_doi = get_paper(s, "2606.14867")
        entries = entries_for_paper(s, "2606.16219")
        jobs = list_jobs(s)
    assert revised.version == 2
    assert (revised.published, revised.updated) == (date(2026, 6, 14), date(2026, 6, 17))
    assert revised.versions == (PaperVersion(1, date(2026, 6, 14)), PaperVersion(2, date(2026, 6, 17)))
    assert revised.categories == ("cs.CE", "cs.LG", "physics.comp-ph")  # primary first, no duplicate
    assert entries == [FeedEntry("2606.16219", date(2026, 6, 14), FeedSource.ARXIV)]
    assert with_doi.doi == "10.48550/arXiv.2606.14867" and with_doi.journal_ref == "ICML 2026"
    assert with_doi.comments == "Preprint"
    assert with_doi.title == "Evaluating the Robustness of Proof Autoformalization in Lean 4"
    assert with_doi.authors[0] == "Zhengtao Gui" and not with_doi.abstract.startswith(" ")
    assert [(j.kind, j.status, j.counts["new"]) for j in jobs] == [("arxiv", "done", 5)]


def test_harvesting_twice_changes_nothing(db, replay):
    script_pages(replay)
    harvest(db)
    again = harvest(db)
    assert (again.new, again.updated, again.unchanged, again.feed_new) == (0, 0, 5, 0)


def test_max_stops_early_and_the_last_page_asks_only_for_what_is_left(db, replay):
    script_pages(replay)
    summary = harvest(db, max_results=3)
    assert summary.new == 3
    asked = [(r.query["start"], r.query["max_results"]) for r in replay.requests_to(API)]
    assert asked == [("0", "2"), ("2", "1")]


def test_requests_are_paced_on_one_connection(db, replay):
    script_pages(replay)
    with PoliteClient(interval_s=0.2) as client:
        harvest(db, client=client)
    seen = replay.requests_to(API)
    gaps = [b.at - a.at for a, b in zip(seen, seen[1:], strict=False)]
    assert len(seen) == 3 and min(gaps) >= 0.19
    assert len({r.client_port for r in seen}) == 1  # one kept-alive connection


def test_overload_is_retried_after_retry_after_and_5xx_with_back_off(db, replay):
    busy = Reply(503, b"busy", {"Retry-After": "1"})
    broken = Reply(500, b"oops")
    replay.script(API, busy, fixture("arxiv_api/cs.LG-start-0.xml", headers=ATOM), start="0")
    replay.script(API, broken, fixture("arxiv_api/cs.LG-start-2.xml", headers=ATOM), start="2")
    replay.script(API, fixture("arxiv_api/cs.LG-start-4.xml", headers=ATOM), start="4")
    with PoliteClient(interval_s=0.05, retries=3) as client:
        summary = harvest(db, client=client)
    assert summary.new == 5
    seen = replay.requests_to(API)
    assert [r.query["start"] for r in seen] == ["0", "0", "2", "2", "4"]
    assert seen[1].at - seen[0].at >= 0.99  # waited as long as Retry-After asked
    assert seen[3].at - seen[2].at >= 0.49  # exponential back-off starts at 0.5 s


def test_a_source_that_keeps_failing_leaves_a_resumable_harvest(db, replay):
    script_pages(replay, start_2=Reply(503, b"down"))
    with PoliteClient(interval_s=0, retries=1) as client, pytest.raises(SourceUnavailable, match="HTTP 503"):
        harvest(db, client=client)
    with db.sessions() as s:
        assert count_papers(s) == 2  # the first page was committed with its checkpoint
        assert [(j.status, j.checkpoint) for j in list_jobs(s)] == [("running", {"start": 2})]
    replay.script(API, fixture("arxiv_api/cs.LG-start-2.xml", headers=ATOM), start="2")
    resumed = harvest(db)
    assert resumed.new == 3
    assert [r.query["start"] for r in replay.requests_to(API)][-2:] == ["2", "4"]


def test_an_error_entry_is_a_clear_error_and_stores_nothing(db, replay):
    script_pages(replay, start_0=fixture("arxiv_api/error.xml", headers=ATOM))
    with pytest.raises(ArxivApiError, match="incorrect id format for 1234.1234x"):
        harvest(db)
    with db.sessions() as s:
        assert count_papers(s) == 0
        assert list_jobs(s)[0].status == "failed"


def test_a_malformed_response_is_an_error_and_a_malformed_entry_is_rejected(db, replay):
    page = (FIXTURES / "arxiv_api/cs.LG-start-2.xml").read_text(encoding="utf-8")
    untitled = page.replace(
        "<title>Evaluating the Robustness of Proof Autoformalization in Lean 4</title>", "<title></title>"
    )
    script_pages(replay, start_0=Reply(200, b"<html><body>Service Unavailable</body></html>"))
    with pytest.raises(MalformedSource, match="expected an Atom <feed>"):
        harvest(db)
    script_pages(replay, start_2=Reply(200, untitled.encode(), ATOM))
    summary = harvest(db)
    assert (summary.new, summary.rejected) == (4, 1)
    assert summary.rejections[0].where == "entry 3 (id 'http://arxiv.org/abs/2606.14867v1')"
    assert "field 'title'" in summary.rejections[0].reason


def test_submit_fetches_one_paper_by_url_and_features_it_today(db, replay):
    replay.script(API, fixture("arxiv_api/id-2606.17049.xml", headers=ATOM), id_list="2606.17049")
    today = date(2026, 7, 3)
    paper = submit_paper(db, "https://arxiv.org/abs/2606.17049v1", submitted_by="ada", today=today)
    again = submit_paper(db, "arXiv:2606.17049", submitted_by="ada", today=today)
    assert paper == again
    assert (paper.id, paper.version, paper.primary_category) == ("2606.17049", 2, "cs.CV")
    with db.sessions() as s:
        entries = entries_for_paper(s, "2606.17049")
    assert entries == [
        FeedEntry("2606.17049", date(2026, 6, 14), FeedSource.ARXIV),
        FeedEntry("2606.17049", today, FeedSource.SUBMISSION, submitted_by="ada"),
    ]
    assert [r.query["id_list"] for r in replay.requests_to(API)] == ["2606.17049", "2606.17049"]


def test_submit_rejects_bad_ids_and_unknown_papers_without_storing_anything(db, replay):
    replay.script(API, fixture("arxiv_api/empty.xml", headers=ATOM), id_list="2606.99999")
    with pytest.raises(InvalidArxivId, match="not an arXiv id"):
        submit_paper(db, "https://example.org/paper", submitted_by="cli")
    assert replay.requests == []  # nothing was asked of arXiv for a string that is not an id
    with pytest.raises(PaperNotFound, match="2606.99999"):
        submit_paper(db, "2606.99999", submitted_by="cli")
    with db.sessions() as s:
        assert count_papers(s) == 0


def _emptied(relative: str) -> Reply:
    """A recorded page with its entries cut out: the arXiv API's occasional empty answer mid-results."""
    import re

    body = (FIXTURES / relative).read_text(encoding="utf-8")
    return Reply(200, re.sub(r"<entry>.*?</entry>\s*", "", body, flags=re.S).encode(), dict(ATOM))


def test_an_empty_page_inside_the_results_is_asked_again_not_taken_as_the_end(db, replay):
    page_2 = fixture("arxiv_api/cs.LG-start-2.xml", headers=ATOM)
    script_pages(replay, start_2=_emptied("arxiv_api/cs.LG-start-2.xml"))
    replay.script(API, _emptied("arxiv_api/cs.LG-start-2.xml"), page_2, start="2")
    summary = harvest(db)
    assert summary.new == 5
    assert [r.query["start"] for r in replay.requests_to(API)] == ["0", "2", "2", "4"]


def test_a_source_that_only_answers_empty_pages_leaves_a_resumable_harvest(db, replay):
    script_pages(replay, start_2=_emptied("arxiv_api/cs.LG-start-2.xml"))
    with pytest.raises(SourceUnavailable, match="empty pages at 2 of 5"):
        harvest(db)
    with db.sessions() as s:
        (job,) = list_jobs(s)
        assert count_papers(s) == 2
    assert (job.status, job.checkpoint) == ("running", {"start": 2})

"""OAI-PMH harvests: resumption tokens, errors, deleted records, and surviving a kill -9 mid-harvest."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperfeed.domain import FeedEntry, FeedSource, Paper, PaperVersion
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.oai import OaiError
from paperfeed.ingest.records import MalformedSource
from paperfeed.services.harvest import harvest_oai
from paperfeed.store import Database
from paperfeed.store.feed import row_to_entry
from paperfeed.store.jobs import list_jobs
from paperfeed.store.models import FeedEntryRow
from paperfeed.store.papers import count_papers, get_paper, iter_papers, upsert_papers
from tests.support import pg
from tests.support.replay import FIXTURES, Reply, fixture, serve_replay

replay = pytest.fixture(serve_replay)
OAI = "/oai"
FROM = date(2026, 6, 15)
TOKEN_1, TOKEN_2 = "7204931|3", "7204931|6"
ROOT = Path(__file__).resolve().parents[1]


def script_harvest(replay, *, page_2: Reply | None = None) -> None:  # type: ignore[no-untyped-def]
    replay.script(OAI, fixture("oai/cs-page-1.xml"), metadataPrefix="arXiv", set="cs", verb="ListRecords")
    replay.script(OAI, *(r for r in (page_2, fixture("oai/cs-page-2.xml")) if r), resumptionToken=TOKEN_1)
    replay.script(OAI, fixture("oai/cs-page-3.xml"), resumptionToken=TOKEN_2)


def snapshot_of(db: Database) -> tuple[list[Paper], list[FeedEntry]]:
    """Everything an ingest writes that a reader sees: papers and feed entries, in a stable order."""
    with db.sessions() as s:
        papers = list(iter_papers(s))
        rows = s.scalars(sa.select(FeedEntryRow).order_by(FeedEntryRow.paper_id, FeedEntryRow.featured_on))
        return papers, [row_to_entry(r) for r in rows]


def test_harvest_follows_resumption_tokens_and_imports_the_arxiv_format(db, replay):
    with db.session() as s:  # a paper this instance already holds, deleted upstream on page 3
        upsert_papers(s, [Paper(id="0704.0002", title="Sparsity-certifying Graph Decompositions")])
    script_harvest(replay)
    summary = harvest_oai(db, "cs", FROM)
    assert (summary.new, summary.updated, summary.rejected, summary.feed_new) == (8, 1, 0, 8)
    queries = [r.query for r in replay.requests_to(OAI)]
    assert queries == [
        {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2026-06-15"},
        {"verb": "ListRecords", "resumptionToken": TOKEN_1},
        {"verb": "ListRecords", "resumptionToken": TOKEN_2},
    ]
    with db.sessions() as s:
        revised = get_paper(s, "2606.16219")
        withdrawn = get_paper(s, "0704.0002")
        wrapped = get_paper(s, "2606.14720")
        jobs = list_jobs(s)
        entries = s.scalars(sa.select(FeedEntryRow).where(FeedEntryRow.paper_id == "2606.16219")).all()
    assert revised.authors[0] == "Zongren Zou"
    assert revised.categories == ("cs.CE", "cs.LG", "physics.comp-ph")
    assert (revised.published, revised.updated) == (date(2026, 6, 14), date(2026, 6, 16))  # not the datestamp
    assert revised.versions == (PaperVersion(1, date(2026, 6, 14)),)
    assert revised.license == "http://creativecommons.org/licenses/by/4.0/"
    assert revised.title == "Graphical conditional generative modeling for digital twin modeling"
    assert wrapped.title == (
        "AI for Maritime Security: Comparative Evaluation of CNN and Vision Transformer "
        "Architectures for Maritime Object Detection"
    )  # arXiv's wrapping undone
    assert not revised.abstract.startswith(" ") and not revised.withdrawn
    listed = FeedEntry("2606.16219", date(2026, 6, 14), FeedSource.ARXIV)
    assert [row_to_entry(e) for e in entries] == [listed]
    assert withdrawn.withdrawn
    assert [(j.kind, j.key, j.status) for j in jobs] == [("oai", "cs|2026-06-15|", "done")]


def test_harvesting_twice_changes_nothing(db, replay):
    script_harvest(replay)
    harvest_oai(db, "cs", FROM)
    again = harvest_oai(db, "cs", FROM)
    assert (again.new, again.updated, again.unchanged, again.feed_new) == (0, 0, 8, 0)


def test_no_records_match_is_an_empty_harvest_not_an_error(db, replay):
    replay.script(OAI, fixture("oai/no-records-match.xml"), metadataPrefix="arXiv")
    summary = harvest_oai(db, "cs", date(2099, 1, 1), date(2099, 1, 31))
    assert summary.as_counts() == {
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "feed_new": 0,
        "feed_updated": 0,
    }
    assert replay.requests[0].query["until"] == "2099-01-31"
    with db.sessions() as s:
        assert [j.status for j in list_jobs(s)] == ["done"]


def test_a_bad_resumption_token_is_a_clear_error_and_the_next_run_starts_over(db, replay):
    script_harvest(replay, page_2=fixture("oai/bad-resumption-token.xml"))
    with pytest.raises(OaiError, match="no longer accepts our resumption token") as raised:
        harvest_oai(db, "cs", FROM)
    assert raised.value.code == "badResumptionToken"
    with db.sessions() as s:
        assert count_papers(s) == 3  # page 1 stays: it was whole and committed
        assert [j.status for j in list_jobs(s)] == ["failed"]
    summary = harvest_oai(db, "cs", FROM)
    assert (summary.new, summary.unchanged) == (5, 3)
    assert "metadataPrefix" in replay.requests_to(OAI)[2].query  # restarted from the first page


def test_503_with_retry_after_is_waited_out(db, replay):
    script_harvest(replay, page_2=Reply(503, b"Retry later", {"Retry-After": "1"}))
    with PoliteClient(interval_s=0.05) as client:
        summary = harvest_oai(db, "cs", FROM, client=client)
    assert summary.new == 8
    seen = replay.requests_to(OAI)
    assert [r.query.get("resumptionToken") for r in seen] == [None, TOKEN_1, TOKEN_1, TOKEN_2]
    assert seen[2].at - seen[1].at >= 0.99


def test_a_malformed_page_stores_nothing_of_it(db, replay):
    truncated = (FIXTURES / "oai/cs-page-2.xml").read_bytes()[:3000]
    script_harvest(replay, page_2=Reply(200, truncated))
    with pytest.raises(MalformedSource, match="not XML"):
        harvest_oai(db, "cs", FROM)
    with db.sessions() as s:
        assert count_papers(s) == 3


def test_a_malformed_record_is_rejected_and_the_rest_of_the_page_goes_in(db, replay):
    page = (FIXTURES / "oai/cs-page-1.xml").read_text(encoding="utf-8")
    broken = page.replace("<created>2026-06-14</created>", "<created>last tuesday</created>", 1)
    replay.script(OAI, Reply(200, broken.encode()), metadataPrefix="arXiv")
    replay.script(OAI, fixture("oai/cs-page-2.xml"), resumptionToken=TOKEN_1)
    replay.script(OAI, fixture("oai/cs-page-3.xml"), resumptionToken=TOKEN_2)
    summary = harvest_oai(db, "cs", FROM)
    assert (summary.new, summary.rejected) == (7, 1)
    assert summary.rejections[0].where == "record 1 (oai:arXiv.org:2606.14832)"
    assert "field 'created'" in summary.rejections[0].reason


def fresh_database(request: pytest.FixtureRequest, db: Database, tmp_path: Path) -> Database:
    url = (
        f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        if db.is_sqlite
        else pg.fresh_database(request.getfixturevalue("pg_server"))
    )
    fresh = Database(url)
    fresh.migrate()
    return fresh


def run_cli(db: Database, replay, home: Path) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "PAPERFEED_DATABASE_URL": db.url,
        "PAPERFEED_OAI_URL": replay.url(OAI),
        "PAPERFEED_REQUEST_INTERVAL_S": "0",
        "PAPERFEED_HOME": str(home),
        "PYTHONPATH": str(ROOT / "src"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "paperfeed", "ingest", "oai", "--set", "cs", "--from", FROM.isoformat()],
        env=env,
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_oai_harvest_resumes_after_sigkill(db, replay, request, tmp_path):
    hold = threading.Event()
    script_harvest(replay, page_2=Reply(200, b"", hold=hold))  # page 2 never comes: the process is killed
    process = run_cli(db, replay, tmp_path)
    try:
        replay.wait_for_requests(2)  # page 1 stored and committed, page 2 asked for
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        hold.set()
    assert process.returncode == -signal.SIGKILL
    with db.sessions() as s:
        assert count_papers(s) == 3
        assert [(j.status, j.checkpoint["token"]) for j in list_jobs(s)] == [("running", TOKEN_1)]

    resumed = run_cli(db, replay, tmp_path)
    output = resumed.communicate(timeout=120)[0].decode()
    assert resumed.returncode == 0, output
    after_kill = [r.query for r in replay.requests_to(OAI)][2:]
    assert after_kill == [
        {"verb": "ListRecords", "resumptionToken": TOKEN_1},
        {"verb": "ListRecords", "resumptionToken": TOKEN_2},
    ]  # not page 1 again
    assert "5 new" in " ".join(output.split())

    fresh = fresh_database(request, db, tmp_path)
    try:
        harvest_oai(fresh, "cs", FROM)
        assert snapshot_of(db) == snapshot_of(fresh)
        assert len(snapshot_of(db)[0]) == 8
    finally:
        fresh.dispose()

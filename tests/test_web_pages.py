"""The reading pages over HTTP: listings, navigation, paper page, collections, submission, ops."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.config import get_settings
from paperfeed.services.submissions import run_pending
from paperfeed.store import Database
from tests.support.live_server import add_paper, sign_up, test_app
from tests.support.replay import ATOM, fixture, serve_replay

replay = pytest.fixture(serve_replay)
JUL1, JUN30, JUN26 = date(2026, 7, 1), date(2026, 6, 30), date(2026, 6, 26)


def _client(db: Database, tmp_path: Path, now: datetime) -> TestClient:
    return TestClient(test_app(db, tmp_path, now=now))


@pytest.fixture
def client(sqlite_db: Database, tmp_path: Path) -> Iterator[TestClient]:
    add_paper(
        sqlite_db,
        "2607.00001",
        "Fresh paper",
        JUL1,
        external_upvotes=3,
        github_repo="https://github.com/x/y",
        project_page="https://x.example/y",
        categories=("cs.CV", "cs.LG"),
        authors=("Ada Lovelace", "Alan Turing", "Grace Hopper"),
    )
    add_paper(sqlite_db, "2606.00002", "Older paper", JUN30, published=date(2024, 10, 8))
    add_paper(sqlite_db, "2606.00003", "Friday paper", JUN26, published=date(2026, 5, 24))
    with _client(sqlite_db, tmp_path, datetime(2026, 7, 1, 9, 0, tzinfo=UTC)) as test_client:
        yield test_client


def _titles(html: str) -> list[str]:
    return re.findall(r'<h3 id="[^"]+" class="card-title">\s*<a href="[^"]+">([^<]+)</a>', html)


def test_front_page_is_today_with_new_badges(client: TestClient) -> None:
    html = client.get("/").text
    assert '<h2 class="period-label">Jul 1</h2>' in html
    assert _titles(html) == ["Fresh paper"]
    assert 'class="badge"' in html and "• 3 authors" in html
    assert '<span class="vote-count" aria-live="polite">3</span>' in html  # Hugging Face upvotes count


def test_front_page_falls_back_to_the_latest_day_with_papers(sqlite_db: Database, tmp_path: Path) -> None:
    add_paper(sqlite_db, "2606.00002", "Older paper", JUN30)
    with _client(sqlite_db, tmp_path, datetime(2026, 7, 4, 9, 0, tzinfo=UTC)) as later:
        html = later.get("/").text
    assert '<h2 class="period-label">Jun 30</h2>' in html and 'class="badge"' not in html


def test_arrows_skip_days_without_papers(client: TestClient) -> None:
    html = client.get("/papers/date/2026-06-30").text
    assert 'rel="prev" href="/papers/date/2026-06-26"' in html
    assert 'rel="next" href="/papers/date/2026-07-01"' in html
    first = client.get("/papers/date/2026-06-26").text
    assert 'rel="prev"' not in first and '<span class="arrow disabled" aria-hidden="true">←</span>' in first


def test_week_and_month_pages(client: TestClient) -> None:
    week = client.get("/papers/week/2026-W27").text
    assert _titles(week) == ["Fresh paper", "Older paper"]
    assert 'rel="prev" href="/papers/week/2026-W26"' in week
    month = client.get("/papers/month/2026-06").text
    assert sorted(_titles(month)) == ["Friday paper", "Older paper"]
    assert 'rel="next" href="/papers/month/2026-07"' in month


def test_publication_dates_read_like_hugging_face(client: TestClient) -> None:
    html = client.get("/papers/month/2026-06").text
    assert ">Oct 8, 2024</time>" in html  # another year: with the year
    assert ">May 24</time>" in html  # this year: without


def test_big_days_are_paginated(sqlite_db: Database, tmp_path: Path) -> None:
    for i in range(55):
        add_paper(sqlite_db, f"2607.{i:05d}", f"Paper number {i}", JUL1, external_upvotes=i)
    with _client(sqlite_db, tmp_path, datetime(2026, 7, 1, 9, 0, tzinfo=UTC)) as client:
        first = client.get("/papers/date/2026-07-01").text
        second = client.get("/papers/date/2026-07-01?page=2").text
    assert len(_titles(first)) == 50 and _titles(first)[0] == "Paper number 54"
    assert _titles(second) == [f"Paper number {i}" for i in range(4, -1, -1)]
    assert "Page 2 of 2" in second


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/papers/date/2026-02-30", "date &#39;2026-02-30&#39; is not a valid day"),
        ("/papers/week/2026-W60", "YYYY-Www"),
        ("/papers/date/2026-07-01?sort=hot", "sort &#39;hot&#39;"),
        ("/papers/date/2026-07-01?page=0", "pages start at 1"),
        ("/search?q=x&from=yesterday", "from date &#39;yesterday&#39;"),
    ],
)
def test_bad_input_gets_a_400_page_naming_it(client: TestClient, path: str, message: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert message in response.text


def test_paper_page_has_everything(client: TestClient) -> None:
    html = client.get("/papers/2607.00001").text
    shown = " ".join(re.sub(r"<[^>]+>", "", html).split())  # authors are links to their pages now
    assert "Ada Lovelace, Alan Turing, Grace Hopper" in shown
    assert '<span class="cat">cs.CV</span>' in html and '<span class="cat">cs.LG</span>' in html
    assert 'href="https://arxiv.org/abs/2607.00001"' in html
    assert 'href="https://arxiv.org/pdf/2607.00001"' in html
    assert 'href="https://github.com/x/y"' in html and 'href="https://x.example/y"' in html
    assert "Comments (0)" in html
    missing = client.get("/papers/2607.99999")
    assert missing.status_code == 404 and "No paper 2607.99999" in missing.text


def test_trending_page_explains_its_formula(client: TestClient) -> None:
    html = client.get("/trending").text
    assert "(upvotes + 1) / (age_hours + 2) ^ 1.5" in html
    assert _titles(html)[0] == "Fresh paper"


def test_search_page_filters_by_category(client: TestClient) -> None:
    assert _titles(client.get("/search?q=paper").text) != []
    assert _titles(client.get("/search?q=paper&category=cs.CV").text) == ["Fresh paper"]


def test_save_to_a_collection_and_export_it(client: TestClient) -> None:
    csrf = sign_up(client, "reader")
    client.post("/papers/2607.00001/save", data={"csrf_token": csrf})
    client.post("/collections", data={"name": "To read", "csrf_token": csrf})
    client.post("/papers/2606.00002/save", data={"collection": "to-read", "csrf_token": csrf})
    assert _titles(client.get("/collections/saved").text) == ["Fresh paper"]
    bib = client.get("/collections/saved.bib")
    assert bib.headers["content-type"].startswith("application/x-bibtex")
    assert "@misc{lovelace2026_2607.00001," in bib.text and "eprint = {2607.00001}" in bib.text
    assert "author = {Ada Lovelace and Alan Turing and Grace Hopper}" in bib.text
    exported = json.loads(client.get("/collections/to-read.json").text)
    assert exported["collection"] == "To read" and [p["id"] for p in exported["papers"]] == ["2606.00002"]
    assert client.get("/collections/nope").status_code == 404


def test_collections_need_an_account(client: TestClient) -> None:
    response = client.get("/collections/saved", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/collections/saved"


def test_submit_puts_a_paper_on_todays_page(client: TestClient, replay) -> None:  # type: ignore[no-untyped-def]
    replay.script("/api/query", fixture("arxiv_api/id-2606.17049.xml", headers=ATOM), id_list="2606.17049")
    csrf = sign_up(client, "submitter")
    page = client.post("/submit", data={"paper": "https://arxiv.org/abs/2606.17049", "csrf_token": csrf})
    assert page.url.path.startswith("/submissions/")  # queued at once; the submission worker fetches it
    run_pending(client.app.state.db, get_settings())  # type: ignore[attr-defined]
    assert 'href="/papers/2606.17049"' in client.get(page.url.path).text
    today = client.get("/").text
    assert "Submitted by submitter" in today
    bad = client.post("/submit", data={"paper": "not a paper", "csrf_token": csrf})
    assert bad.status_code == 400 and "not an arXiv id" in bad.text


def test_healthz_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "database": "sqlite"}
    client.get("/papers/2607.00001")
    with TestClient(client.app, client=("127.0.0.1", 50000)) as local:  # /metrics answers loopback only
        metrics = local.get("/metrics").text
    labels = 'method="GET",route="/papers/{arxiv_id:path}",status="200"'
    assert f"paperfeed_http_requests_total{{{labels}}} 1.0" in metrics
    assert "paperfeed_papers 3.0" in metrics
    assert 'paperfeed_http_request_duration_seconds_bucket{le="0.005",route="/healthz"}' in metrics


def test_voting_works_without_javascript(client: TestClient) -> None:
    csrf = sign_up(client, "nojs")
    response = client.post(
        "/papers/2607.00001/upvote",
        data={"csrf_token": csrf},
        follow_redirects=False,
        headers={"Referer": "http://testserver/papers/date/2026-07-01"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/papers/date/2026-07-01"
    html = client.get("/papers/date/2026-07-01").text
    assert 'action="/papers/2607.00001/unvote"' in html and 'aria-pressed="true"' in html
    assert '<span class="vote-count" aria-live="polite">4</span>' in html  # 3 from Hugging Face + 1
    client.post("/papers/2607.00001/unvote", data={"csrf_token": csrf})
    assert '<span class="vote-count" aria-live="polite">3</span>' in client.get("/").text


def test_comments_show_with_their_author(client: TestClient) -> None:
    csrf = sign_up(client, "critic")
    page = client.post("/papers/2607.00001/comments", data={"body": "Nice *ablation*.", "csrf_token": csrf})
    assert "Comments (1)" in page.text and "<strong>critic</strong>" in page.text
    assert "<p>Nice <em>ablation</em>.</p>" in page.text
    empty = client.post("/papers/2607.00001/comments", data={"body": "   ", "csrf_token": csrf})
    assert empty.status_code == 400 and "The comment is empty" in empty.text


def test_search_pages_keep_their_filters_and_the_last_page_links_back(client: TestClient) -> None:
    import html as html_lib

    second = client.get("/search?q=paper&category=cs.CV&author=Ada&page=2").text
    pager = html_lib.unescape(second.split('aria-label="Pages"', 1)[1].split("</nav>", 1)[0])
    assert 'rel="prev"' in second and "More results" not in pager
    assert "category=cs.CV" in pager and "author=Ada" in pager and "page=1" in pager

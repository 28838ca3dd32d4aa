"""What a reader sees on /search: about how many results, a plain message when nothing relevant matched, "did
you mean", an arXiv id that goes straight to its paper, and a category filter in any case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.search import keyword_sync
from paperfeed.services.search import search_papers
from paperfeed.store import Database
from tests.support.corpus import Corpus, fill
from tests.support.live_server import test_app


@pytest.fixture
def client(sqlite_db: Database, corpus: Corpus, tmp_path: Path) -> Iterator[TestClient]:
    fill(sqlite_db, corpus)
    with TestClient(test_app(sqlite_db, tmp_path)) as test_client:
        yield test_client
    keyword_sync.forget_kept_indexes()


def titles(html: str) -> list[str]:
    return re.findall(r'class="card-title">\s*<a href="[^"]+">([^<]+)</a>', html)


def test_results_say_about_how_many_papers_match(client: TestClient) -> None:
    html = client.get("/search?q=diffusion").text
    count = int(re.search(r"About ([\d,]+) results", html).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert count >= len(titles(html)) > 0


def test_nothing_relevant_is_said_instead_of_unrelated_papers(
    client: TestClient, sqlite_db: Database
) -> None:
    html = client.get("/search?q=qwzx+vlorp+blarfengast").text
    assert "Nothing relevant matched" in html and "No paper matches" in html
    assert "<details>" in html  # the least distant papers are one click away, not presented as answers
    assert search_papers(sqlite_db, "qwzx vlorp blarfengast", mode="semantic").hits  # the service still ranks


def test_a_misspelled_word_gets_a_did_you_mean_from_the_titles(client: TestClient) -> None:
    html = client.get("/search?q=difusion+models").text
    assert re.search(r"Did you mean <a href=\"/search\?q=diffusion(\+|%20)models", html), html[:3000]
    assert "Did you mean" not in client.get("/search?q=diffusion+models").text


def test_an_exact_arxiv_id_goes_straight_to_the_paper(client: TestClient, corpus: Corpus) -> None:
    paper_id = corpus.records[30].paper.id
    jump = client.get(f"/search?q=arXiv:{paper_id}v2", follow_redirects=False)
    assert jump.status_code == 303 and jump.headers["location"] == f"/papers/{paper_id}"
    assert client.get(f"/search?q={paper_id}").url.path == f"/papers/{paper_id}"
    assert client.get("/search?q=diffusion", follow_redirects=False).status_code == 200
    later = client.get(f"/search?q={paper_id}&page=2", follow_redirects=False)  # paging on: no jump
    assert later.status_code == 200


def test_the_category_filter_ignores_case(client: TestClient) -> None:
    exact = titles(client.get("/search?q=learning&category=cs.CV").text)
    assert exact and titles(client.get("/search?q=learning&category=CS.cv").text) == exact
    assert titles(client.get("/search?q=learning&category=cs.cv&mode=keyword").text) == titles(
        client.get("/search?q=learning&category=cs.CV&mode=keyword").text
    )

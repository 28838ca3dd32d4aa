"""RSS 2.0 and Atom for listings, trending and searches: well-formed, complete, advertised."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from starlette.testclient import TestClient

from paperfeed.store import Database
from tests.support.live_server import add_paper, test_app

A = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def client(sqlite_db: Database, tmp_path: Path) -> Iterator[TestClient]:
    add_paper(
        sqlite_db,
        "2607.00001",
        "Diffusion for proteins",
        date(2026, 7, 1),
        categories=("q-bio.BM",),
        abstract="Control characters \x0b are dropped; the rest & stays.",
    )
    add_paper(sqlite_db, "2606.00002", "Diffusion for images", date(2026, 6, 30))
    with TestClient(test_app(sqlite_db, tmp_path)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "path",
    [
        "/papers/date/2026-07-01/rss",
        "/papers/week/2026-W27/rss",
        "/papers/month/2026-07/rss",
        "/trending.rss",
        "/search.rss?q=diffusion",
    ],
)
def test_rss_feeds_are_rss_2(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") and channel.findtext("link").startswith("http://testserver/")
    assert channel.find(f"{A}link").get("rel") == "self"
    items = channel.findall("item")
    assert items, path
    for item in items:
        assert item.findtext("link") == item.findtext("guid")
        assert item.findtext("link").startswith("http://testserver/papers/")
        assert item.findtext("pubDate").endswith("+0000")


@pytest.mark.parametrize(
    "path", ["/papers/date/2026-07-01/atom", "/trending.atom", "/search.atom?q=proteins"]
)
def test_atom_feeds_are_atom_1(client: TestClient, path: str) -> None:
    root = etree.fromstring(client.get(path).content)
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}id") and root.findtext(f"{A}updated")
    entry = root.find(f"{A}entry")
    assert entry.findtext(f"{A}title") == "Diffusion for proteins"
    assert entry.findtext(f"{A}summary") == "Control characters are dropped; the rest & stays."
    assert [a.findtext(f"{A}name") for a in entry.findall(f"{A}author")] == ["Ada Lovelace", "Alan Turing"]
    assert entry.find(f"{A}category").get("term") == "q-bio.BM"


def test_search_feed_keeps_the_query_and_orders_by_relevance(client: TestClient) -> None:
    root = etree.fromstring(client.get("/search.rss?q=proteins").content)
    assert root.find("channel").findtext("title") == "paperfeed — search: proteins"
    assert [i.findtext("title") for i in root.iter("item")][0] == "Diffusion for proteins"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/search.rss", 400),
        ("/trending.json", 404),
        ("/papers/date/2026-07-01/csv", 404),
        ("/papers/date/2026-13-01/rss", 400),
    ],
)
def test_feed_errors(client: TestClient, path: str, status: int) -> None:
    assert client.get(path).status_code == status


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("/", "/papers/date/2026-07-01/rss"),
        ("/trending", "/trending.rss"),
        ("/search?q=diffusion", "/search.rss?q=diffusion"),
    ],
)
def test_pages_advertise_their_feeds(client: TestClient, page: str, feed: str) -> None:
    html = client.get(page).text
    assert '<link rel="alternate" type="application/rss+xml"' in html and f'href="{feed}"' in html
    assert 'class="feed"' in html  # and a visible link

"""The site in a real Chromium: reading, navigating, signing up, voting, searching, feeds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from paperfeed.services import accounts, community
from paperfeed.store import Database
from tests.support.live_server import load_sample, serve, test_app

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("site")
    db = Database(f"sqlite:///{home / 'paperfeed.sqlite3'}")
    db.migrate()
    records = load_sample(db, 300)
    _some_votes(db, [r.paper.id for r in records if str(r.feed_entry.featured_on) == "2026-07-01"])
    with serve(test_app(db, home)) as url:
        yield url
    db.dispose()


def _some_votes(db: Database, paper_ids: list[str]) -> None:
    """A few readers' votes, so the cards have counts to show and to sort by."""
    readers = [accounts.sign_up(db, f"reader{i}", "a long enough password") for i in range(6)]
    for rank, paper_id in enumerate(paper_ids[10:16]):
        for reader in readers[: 6 - rank]:
            community.upvote(db, reader.id, paper_id)


def _sign_up(page: Page, site: str, name: str) -> None:
    page.goto(f"{site}/signup")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()


def test_daily_page_shows_cards_and_arrows_walk_the_days(page: Page, site: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(site)
    expect(page.locator(".period-label")).to_have_text("Jul 1")
    expect(page.locator("article.card")).to_have_count(50)
    expect(page.locator(".badge").first).to_have_text("new")
    expect(page.locator(".card .meta").first).to_contain_text(re.compile(r"• \d+ authors?"))
    expect(page.get_by_text("Get trending papers in your email inbox!")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "daily.png"))

    page.get_by_role("link", name=re.compile("^Previous day")).click()
    expect(page.locator(".period-label")).to_have_text("Jun 30")
    expect(page.locator(".badge")).to_have_count(0)  # not featured today
    page.get_by_role("link", name=re.compile("^Previous day")).click()
    expect(page.locator(".period-label")).to_have_text("Jun 29")  # skips nothing: Monday
    page.get_by_role("link", name=re.compile("^Previous day")).click()
    expect(page.locator(".period-label")).to_have_text("Jun 26")  # the weekend is skipped
    page.get_by_role("link", name=re.compile("^Next day")).click()
    expect(page).to_have_url(f"{site}/papers/date/2026-06-29")
    page.get_by_role("link", name="Weekly").click()
    expect(page.locator(".period-label")).to_have_text("Week of Jun 29")


def test_sign_up_vote_and_see_the_count_change(page: Page, site: str) -> None:
    _sign_up(page, site, "voter")
    page.goto(site + "/?sort=upvotes")  # after a vote "For you" becomes this reader's default order
    first = page.locator("form.vote").first
    count = first.locator(".vote-count")
    before = int(count.inner_text())
    first.get_by_role("button").click()
    expect(count).to_have_text(str(before + 1))
    expect(first.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    page.reload()  # it was stored, not just drawn
    expect(page.locator("form.vote").first.locator(".vote-count")).to_have_text(str(before + 1))
    page.locator("form.vote").first.get_by_role("button").click()
    expect(page.locator("form.vote").first.locator(".vote-count")).to_have_text(str(before))

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("voter")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="voter")).to_be_visible()


def test_anonymous_vote_leads_to_log_in(page: Page, site: str) -> None:
    page.goto(site)
    page.locator("form.vote").first.get_by_role("button").click()
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_search_then_open_a_paper(page: Page, site: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(site)
    page.get_by_role("searchbox", name="Search papers").fill("diffusion")
    page.get_by_role("searchbox", name="Search papers").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=diffusion"))
    results = page.locator("article.card")
    expect(results.first).to_be_visible()
    title = results.first.locator(".card-title a").inner_text()
    results.first.locator(".card-title a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_role("link", name="PDF")).to_have_attribute("href", re.compile(r"arxiv.org/pdf/"))
    expect(page.get_by_role("heading", name="Abstract")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "paper.png"), full_page=False)


def test_rss_link_is_advertised_and_serves_a_feed(page: Page, site: str) -> None:
    page.goto(site)
    alternate = page.locator('link[rel="alternate"][type="application/rss+xml"]')
    expect(alternate).to_have_count(1)
    link = page.get_by_role("link", name="RSS feed")
    href = link.get_attribute("href")
    assert href == alternate.get_attribute("href")
    response = page.request.get(site + href)
    assert response.ok
    assert response.headers["content-type"].startswith("application/rss+xml")
    channel = etree.fromstring(response.body()).find("channel")
    items = channel.findall("item")
    assert len(items) == 75
    titles = set(page.locator(".card-title a").all_inner_texts())
    assert items[0].findtext("title") in titles

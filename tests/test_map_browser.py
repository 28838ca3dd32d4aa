"""The topic map and the trends in a real Chromium, at a desktop (1280 px) and a phone (390 px) width: points
drawn, a click opens the paper, a search highlights its matches, the reader's and today's papers are marked,
zoom by button and key, charts drawn, and axe-core finds nothing to fix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from paperfeed.rank.topic_map import MapParams
from paperfeed.search.indexing import load_precomputed_vectors
from paperfeed.services import accounts, community
from paperfeed.services.sample import sample_vectors_path
from paperfeed.services.topic_map import build_map
from paperfeed.store import Database
from tests.support.live_server import load_sample, serve, test_app

pytestmark = pytest.mark.browser
WIDTHS = [1280, 390]
PASSWORD = "a long enough password"
Site = tuple[str, list]  # the base URL and the papers loaded


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home = tmp_path_factory.mktemp("map-site")
    db = Database(f"sqlite:///{home / 'paperfeed.sqlite3'}")
    db.migrate()
    records = load_sample(db, 300)
    load_precomputed_vectors(db, sample_vectors_path())
    assert build_map(db, MapParams(sample_size=200)).skipped is None
    reader = accounts.sign_up(db, "mapreader", PASSWORD)
    community.upvote(db, reader.id, records[0].paper.id)  # an older paper of the reader's own
    with serve(test_app(db, home)) as url:
        yield url, records
    db.dispose()


def _open_map(page: Page, url: str, width: int, query: str = "") -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{url}/map" + (f"?q={query}" if query else ""))
    expect(page.locator("#map")).to_have_attribute("data-ready", "true")


def _log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill("mapreader")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="mapreader")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_map_draws_every_paper_and_a_click_opens_one(page: Page, site: Site, width: int) -> None:
    url, records = site
    _open_map(page, url, width)
    assert page.evaluate("window.paperMap.count()") == len(records)
    expect(page.locator("svg.map-overlay text.topic-label").first).to_be_visible()
    expect(page.locator("#topic-list a").first).to_be_visible()
    assert page.locator("svg.map-overlay a.today").count() > 0  # the sample's last day is "today"
    # a point with no highlighted mark over it, inside the window: the canvas click finds it
    page.locator("#map").scroll_into_view_if_needed()
    target = page.evaluate(
        """() => {
          const marks = [...document.querySelectorAll('svg.map-overlay a circle')].map((c) => {
            const r = c.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; });
          const frame = document.getElementById('map').getBoundingClientRect();
          for (const id of window.paperMap.ids()) {
            const [x, y] = window.paperMap.screenOf(id);
            const bottom = Math.min(frame.bottom, window.innerHeight);
            if (x < frame.left + 5 || x > frame.right - 5 || y < frame.top + 5 || y > bottom - 5) continue;
            const crowded = window.paperMap.ids().some((other) => {
              if (other === id) return false; const [ox, oy] = window.paperMap.screenOf(other);
              return Math.hypot(ox - x, oy - y) < 3; });
            if (!crowded && marks.every(([mx, my]) => Math.hypot(mx - x, my - y) > 12)) return [id, x, y];
          }
          return null; }"""
    )
    assert target is not None
    paper_id, x, y = target
    page.mouse.click(x, y)
    expect(page).to_have_url(f"{url}/papers/{paper_id}")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_search_highlights_its_matches_and_a_match_opens_its_paper(
    page: Page, site: Site, width: int
) -> None:
    url, records = site
    _open_map(page, url, width)
    title = records[40].paper.title
    page.get_by_label("Find on the map").fill(title)
    page.get_by_role("button", name="Highlight").click()
    expect(page.locator("#map")).to_have_attribute("data-ready", "true")
    expect(page.locator(".map-status")).to_have_text(re.compile(r"^\d+ papers match"))
    match = page.locator(f'svg.map-overlay a.found[data-paper="{records[40].paper.id}"]')
    expect(match).to_have_count(1)
    match.dispatch_event("click")  # it may sit under another mark; the link itself is what is tested
    expect(page).to_have_url(f"{url}/papers/{records[40].paper.id}")


def test_the_readers_own_papers_are_marked(page: Page, site: Site) -> None:
    url, records = site
    _log_in(page, url)
    _open_map(page, url, 1280)
    expect(page.locator(f'svg.map-overlay a.mine[data-paper="{records[0].paper.id}"]')).to_have_count(1)


@pytest.mark.parametrize("width", WIDTHS)
def test_zoom_by_button_and_key_and_no_accessibility_violations(page: Page, site: Site, width: int) -> None:
    url, records = site
    _open_map(page, url, width)
    some = records[10].paper.id
    before = page.evaluate(f"window.paperMap.frameOf('{some}')")
    page.get_by_role("button", name="Zoom in").click()
    page.locator("#map").focus()
    page.keyboard.press("+")
    page.keyboard.press("ArrowLeft")
    after = page.evaluate(f"window.paperMap.frameOf('{some}')")
    assert after != before
    page.get_by_role("button", name="Reset").click()
    assert page.evaluate(f"window.paperMap.frameOf('{some}')") == before
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("width", WIDTHS)
def test_trends_draws_charts_and_topic_pages_link_from_it(page: Page, site: Site, width: int) -> None:
    url, _ = site
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{url}/trends")
    expect(page.locator("#topic-chart svg.chart polyline").first).to_be_visible()
    expect(page.locator("#category-chart svg.chart circle.mark").first).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    page.locator(".chart-legend a").first.click()
    expect(page).to_have_url(re.compile(r"/topics/\d+$"))
    expect(page.locator("svg.chart rect.bar").first).to_be_attached()
    expect(page.locator("article.card").first).to_be_visible()


def test_screenshots_dir_is_where_the_script_writes(tmp_path: Path) -> None:
    """scripts/screenshots.py writes docs/screenshots/{map,trends}.png; both are committed."""
    shots = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
    assert (shots / "map.png").stat().st_size > 10_000
    assert (shots / "trends.png").stat().st_size > 10_000

"""For you in a real Chromium: sign up, onboard (a category and a library file), read the reasons, dismiss
a paper with 👎 and undo, and 👍 that toggles without a reload."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from paperfeed.ingest.records import Record
from paperfeed.search.indexing import load_precomputed_vectors
from paperfeed.services.sample import sample_vectors_path
from paperfeed.store import Database
from tests.support.live_server import load_sample, serve, test_app

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Record]]]:
    home = tmp_path_factory.mktemp("for-you-site")
    db = Database(f"sqlite:///{home / 'paperfeed.sqlite3'}")
    db.migrate()
    records = load_sample(db, 300)
    load_precomputed_vectors(db, sample_vectors_path())
    with serve(test_app(db, home)) as url:
        yield url, records
    db.dispose()


def _sign_up(page: Page, site: str, name: str) -> None:
    page.goto(f"{site}/signup")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign up").click()


def _library_file(tmp_path: Path, records: list[Record]) -> Path:
    first, second = (r.paper.id for r in records[-2:])
    path = tmp_path / "My Library.bib"
    path.write_text(
        f"""
@article{{first, title={{One I read}}, eprint={{{first}}}, archivePrefix={{arXiv}}}}
@article{{second, title={{Another I read}}, eprint={{{second}}}, archivePrefix={{arXiv}}}}
@article{{own, title={{Grazing patterns of alpine sheep under changing snow cover}},
  abstract={{We follow three flocks of sheep over four winters and relate where they graze to snow depth.}}}}
""",
        encoding="utf-8",
    )
    return path


def test_onboard_then_dismiss_a_paper_from_for_you(
    page: Page,
    sample: tuple[str, list[Record]],
    tmp_path: Path,
) -> None:
    site, records = sample
    page.set_viewport_size({"width": 1280, "height": 1000})
    _sign_up(page, site, "newreader")
    expect(page).to_have_url(f"{site}/onboarding")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tell paperfeed what you read")

    page.get_by_role("checkbox", name=re.compile(r"^cs\.CV\b")).check()
    page.get_by_role("button", name="Follow selected categories").click()
    expect(page.get_by_role("checkbox", name=re.compile(r"^cs\.CV\b"))).to_be_checked()

    upload = page.get_by_label(re.compile("^Your library, exported as"))
    upload.set_input_files(_library_file(tmp_path, records))
    page.get_by_role("button", name="Import library").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Library import")
    expect(page.locator("#matched-arxiv")).to_have_text("2")
    expect(page.locator("#unmatched")).to_have_text("1")

    page.get_by_role("link", name="See your papers").click()
    expect(page).to_have_url(f"{site}/for-you")
    cards = page.locator("article.card")
    expect(cards.first).to_be_visible()
    expect(cards.first.locator(".reasons")).to_contain_text("Why:")
    expect(page.get_by_text(re.compile("In cs.CV, which you follow")).first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "for-you.png"))

    first = cards.first
    dismissed = first.get_attribute("data-paper")
    first.get_by_role("button", name=re.compile("^Not interested")).click()
    expect(first.locator(".dismissed-note")).to_have_text("Hidden — Undo")
    expect(first.get_by_role("button", name=re.compile("^Undo"))).to_be_focused()
    expect(first.locator(".card-title")).to_be_hidden()

    second = cards.nth(1)
    other = second.get_attribute("data-paper")
    second.get_by_role("button", name=re.compile("^Not interested")).click()
    second.get_by_role("button", name=re.compile("^Undo")).click()  # changed my mind: it comes back
    expect(second.locator(".card-title")).to_be_visible()
    expect(second.get_by_role("button", name=re.compile("^Not interested"))).to_have_attribute(
        "aria-pressed", "false"
    )

    page.reload()
    ids = page.locator("article.card").evaluate_all("cards => cards.map(c => c.dataset.paper)")
    assert dismissed not in ids and other in ids
    expect(page.get_by_text("1 paper you dismissed is hidden")).to_be_visible()


def test_more_like_this_toggles_without_a_reload(page: Page, sample: tuple[str, list[Record]]) -> None:
    site, _ = sample
    _sign_up(page, site, "toggler")
    page.goto(f"{site}/papers/date/2026-07-01?sort=upvotes")
    paper = page.locator("article.card").first.get_attribute("data-paper")
    card = page.locator(f'article.card[data-paper="{paper}"]')
    like = card.get_by_role("button", name=re.compile("^More like this"))
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(f"{site}/papers/date/2026-07-01?sort=upvotes")  # no page load happened
    page.reload()  # stored, not just drawn
    expect(like).to_have_attribute("aria-pressed", "true")
    like.click()  # pressing the pressed one undoes
    expect(like).to_have_attribute("aria-pressed", "false")
    page.reload()
    expect(like).to_have_attribute("aria-pressed", "false")

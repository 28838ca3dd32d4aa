"""Reading in a real Chromium, on a desktop (1280 px) and a phone (390 px): formulas drawn as MathML, long
author lists folded so the abstract is near the top, "show all" unfolding them, the comment preview."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from paperfeed.store import Database
from tests.support.live_server import add_paper, load_sample, serve, test_app

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
LONG = "2607.09999"
WIDTHS = [1280, 390]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("reading")
    db = Database(f"sqlite:///{home / 'paperfeed.sqlite3'}")
    db.migrate()
    load_sample(db, 120)
    add_paper(  # the case: hundreds of authors, and TeX in the title and abstract
        db,
        LONG,
        r"S$^2$COPE at $\mathcal{O}(n^2m)$: \emph{bidding constraints} for a large collaboration",
        date(2026, 7, 1),
        authors=tuple(f"Collaborator Number{n:03d} Surname" for n in range(574)),
        abstract=r"We bound it by $\mathcal{O}(n^2m)$ and show $$\sum_{i=1}^{n} x_i^2 \le 1$$ for all x.",
        categories=("hep-ex",),
    )
    with serve(test_app(db, home)) as url:
        yield url
    db.dispose()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_long_author_list_leaves_the_abstract_near_the_top(page: Page, site: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}/papers/{LONG}")
    abstract = page.locator(".full-abstract")
    expect(abstract).to_be_visible()
    box = abstract.bounding_box()
    assert box is not None and box["y"] < 900, box  # in the first screen, on a phone too
    expect(page.locator(".paper .authors-short a")).to_have_count(4)
    if width == 390:
        page.screenshot(path=str(SCREENSHOTS / "paper-phone.png"))


@pytest.mark.parametrize("width", WIDTHS)
def test_formulas_are_drawn_as_mathml(page: Page, site: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{site}/papers/{LONG}")
    formulas = page.locator("h1 math")
    expect(formulas).to_have_count(2)
    for index in range(2):
        box = formulas.nth(index).bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0
    display = page.locator('.full-abstract math[display="block"]')
    expect(display).to_be_visible()
    assert (display.bounding_box() or {"width": 0})["width"] > 0
    assert page.locator("h1 msup").count() >= 1  # a MathML element the browser knows, not text
    assert "\\emph" not in page.locator("h1").inner_text() and "$" not in page.locator("h1").inner_text()
    page.goto(site)  # the card on the daily page
    card = page.locator(f'article[data-paper="{LONG}"]')
    expect(card.locator(".card-title math").first).to_be_visible()
    card_box = card.bounding_box()
    assert card_box is not None and card_box["height"] < 420, card_box  # 574 names folded on a card too


def test_show_all_unfolds_every_author(page: Page, site: str) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"{site}/papers/{LONG}")
    everyone = page.locator(".paper details.all-authors")
    expect(everyone.get_by_role("link", name="Collaborator Number300 Surname")).to_be_hidden()
    everyone.locator("summary").click()
    expect(everyone).to_have_attribute("open", "")
    middle = everyone.get_by_role("link", name="Collaborator Number300 Surname")
    middle.scroll_into_view_if_needed()
    expect(middle).to_be_visible()
    middle.click()
    expect(page).to_have_url(f"{site}/authors/Collaborator%20Number300%20Surname")
    expect(page.get_by_role("heading", level=1)).to_have_text("Collaborator Number300 Surname")
    expect(page.locator(f'article[data-paper="{LONG}"]')).to_be_visible()


def test_comment_preview_shows_the_rendered_maths_before_posting(page: Page, site: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site}/signup")
    page.get_by_label("Username").fill("previewer")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Sign up").click()
    page.goto(f"{site}/papers/{LONG}")
    page.get_by_label("Add a comment").fill("The bound $x_i^2 \\le 1$ is *tight* <script>alert(1)</script>")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#comment-preview")
    expect(preview.locator("math")).to_be_visible()
    assert (preview.locator("math").bounding_box() or {"width": 0})["width"] > 0
    expect(preview.locator("em")).to_have_text("tight")
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text, not run
    expect(page.locator("article.comment")).to_have_count(0)  # nothing posted yet
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("article.comment .comment-body math")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_reading_parts_pass_axe(page: Page, site: str, width: int) -> None:
    """The parts this feature added (author lines, formulas, citation, author page) have no violation axe
    finds, on a desktop and a phone."""
    page.set_viewport_size({"width": width, "height": 900})
    axe = Axe()
    page.goto(f"{site}/papers/{LONG}")
    page.locator(".paper details.all-authors summary").click()
    paper = axe.run(page, context={"include": [["article.paper"]]})
    assert paper.violations_count == 0, paper.generate_report()
    page.goto(f"{site}/authors/Collaborator%20Number001%20Surname")
    author = axe.run(page, context={"include": [["main"]]})
    assert author.violations_count == 0, author.generate_report()

"""axe-core over every page, in a real Chromium: no critical or serious violation, for a visitor and for a
signed-in reader (an admin for /admin), at desktop (1280 px) and phone (390 px) widths.

axe-core comes bundled in ``axe-playwright-python`` (no download). A page added later is covered by
appending its URL to one of the lists below: ``PUBLIC_PAGES`` (visited signed out and signed in),
``READER_PAGES`` (signed in only) or ``ADMIN_PAGES``. ``{paper}`` is replaced by a paper of the sample.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext

from paperfeed.services import accounts, collections, community
from paperfeed.store import Database
from tests.support.live_server import load_sample, serve, test_app

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"
WIDTHS = {"desktop": 1280, "phone": 390}
BLOCKING = {"critical", "serious"}

PUBLIC_PAGES = [
    "/",
    "/papers/date/2026-06-30",
    "/papers/date/2026-06-27",  # a weekend day: the empty-day note
    "/papers/week/2026-W27",
    "/papers/month/2026-06",
    "/papers/month/2026-06?page=99",  # past the end
    "/papers/month/2026-06?cat=cs.CL",
    "/papers/{paper}",
    "/search?q=language+models",
    "/search",
    "/trending",
    "/login",
    "/signup",
    "/subscribe",
    "/confirm/not-a-token",
    "/unsubscribe/not-a-token",
]
READER_PAGES = [
    "/account",
    "/account/password",
    "/settings/interests",
    "/for-you",
    "/onboarding",
    "/collections/saved",
    "/papers/{paper}",
    "/submissions",
]
ADMIN_PAGES = ["/admin"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    home: Path = tmp_path_factory.mktemp("a11y-site")
    db = Database(f"sqlite:///{home / 'paperfeed.sqlite3'}")
    db.migrate()
    records = load_sample(db, 120)
    paper = records[-1].paper.id
    reader = accounts.sign_up(db, "reader", PASSWORD, "reader@example.org")
    accounts.sign_up(db, "root", PASSWORD, admin=True)
    community.upvote(db, reader.id, paper)
    collections.save_paper(db, reader.id, paper)
    community.add_comment(db, reader.id, paper, "A *fine* paper.")
    with serve(test_app(db, home)) as url:
        yield url, paper
    db.dispose()


@pytest.fixture(scope="module")
def contexts(browser: Browser, site: tuple[str, str]) -> Iterator[Callable[[str, str], BrowserContext]]:
    """One browser context per (who, width), signed in once and reused by that module's tests."""
    made: dict[tuple[str, str], BrowserContext] = {}

    def context(who: str, width: str) -> BrowserContext:
        if (who, width) not in made:
            ctx = browser.new_context(viewport={"width": WIDTHS[width], "height": 900})
            if who != "visitor":
                page = ctx.new_page()
                page.goto(f"{site[0]}/login")
                page.get_by_label("Username").fill(who)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_url(lambda url: "/login" not in url)
                page.close()
            made[(who, width)] = ctx
        return made[(who, width)]

    yield context
    for ctx in made.values():
        ctx.close()


def _visits() -> list[tuple[str, str]]:
    return (
        [("visitor", path) for path in PUBLIC_PAGES]
        + [("reader", path) for path in PUBLIC_PAGES + READER_PAGES]
        + [("root", path) for path in ADMIN_PAGES]
    )


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize(("who", "path"), _visits())
def test_no_serious_accessibility_violations(
    contexts: Callable[[str, str], BrowserContext], site: tuple[str, str], who: str, path: str, width: str
) -> None:
    url, paper = site
    page = contexts(who, width).new_page()
    try:
        response = page.goto(url + path.replace("{paper}", paper))
        assert response is not None and response.status < 500, path
        if path in READER_PAGES + ADMIN_PAGES:
            assert "/login" not in page.url, f"{who} was sent to log in from {path}"
        results = Axe().run(page)
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
        report = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
            for v in blocking
        ]
        assert not blocking, f"{path} as {who} at {width}:\n" + "\n".join(report)
    finally:
        page.close()


def test_the_check_itself_catches_a_serious_violation(contexts: Callable[[str, str], BrowserContext]) -> None:
    """The harness is not a no-op: a page with an unlabelled image and button fails it."""
    page = contexts("visitor", "desktop").new_page()
    try:
        page.set_content('<html lang="en"><title>x</title><main><img src="x.png"><button></button></main>')
        found = {v["id"]: v["impact"] for v in Axe().run(page).response["violations"]}
        assert found.get("image-alt") == "critical" and found.get("button-name") == "critical"
    finally:
        page.close()

"""Moderation in a real Chromium: a reader reports a comment, an admin hides it from /admin, and the
paper page no longer shows its text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from paperfeed.services import accounts, community
from paperfeed.store import Database
from tests.support.live_server import add_paper, serve, test_app

pytestmark = pytest.mark.browser
PAPER = "2607.00001"
PASSWORD = "a long enough password"
SPAM = "Buy cheap watches at example.test"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, int]]:
    db = Database(f"sqlite:///{tmp_path / 'paperfeed.sqlite3'}")
    db.migrate()
    add_paper(db, PAPER, "Diffusion models for weather", date(2026, 7, 1))
    accounts.sign_up(db, "root", PASSWORD, admin=True)
    accounts.sign_up(db, "bob", PASSWORD)
    spammer = accounts.sign_up(db, "spammer", PASSWORD)
    spam = community.add_comment(db, spammer.id, PAPER, SPAM)
    with serve(test_app(db, tmp_path)) as url:
        yield url, spam.id
    db.dispose()


def log_in(page: Page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name=name)).to_be_visible()


def test_an_admin_hides_a_reported_comment_and_the_paper_page_loses_its_text(
    page: Page,
    site: tuple[str, int],
) -> None:
    url, spam = site
    log_in(page, url, "bob")
    page.goto(f"{url}/papers/{PAPER}")
    comment = page.locator(f"#comment-{spam}")
    expect(comment).to_contain_text(SPAM)
    comment.get_by_text("Report", exact=True).click()  # the <summary> opens the form
    comment.get_by_label("What is wrong with it?").fill("spam")
    comment.get_by_role("button", name="Report to the admins").click()
    expect(page.get_by_role("status")).to_contain_text("Reported")
    page.get_by_role("button", name="Log out").click()

    log_in(page, url, "root")
    page.goto(f"{url}/admin")
    reported = page.locator(f"#admin-comment-{spam}")
    expect(reported).to_contain_text("1 report")
    expect(reported).to_contain_text("“spam”")
    reported.get_by_role("button", name=f"Hide comment {spam}").click()
    expect(page).to_have_url(re.compile(r"/admin#comments$"))
    expect(page.locator(f"#admin-comment-{spam}")).to_contain_text("hidden by root")
    expect(page.locator("#audit")).to_contain_text("hide-comment")

    page.goto(f"{url}/papers/{PAPER}")
    expect(page.locator(f"#comment-{spam}")).to_contain_text("This comment was hidden by a moderator.")
    expect(page.locator("#main")).not_to_contain_text(SPAM)

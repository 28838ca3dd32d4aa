"""The subscription pages against the real app over HTTP, with the links taken from real mails."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from paperfeed.services.digest import run_digest
from paperfeed.services.subscriptions import get_subscription
from paperfeed.store import Database
from paperfeed.web.app import create_app
from tests.support.live_server import serve
from tests.support.smtp import SmtpServer, add_papers

DAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def site(db: Database, smtp_server: SmtpServer, tmp_path: Path) -> Iterator[str]:
    settings = smtp_server.settings(tmp_path)
    with serve(create_app(settings, db, clock=lambda: NOW)) as url:
        settings.base_url = url  # links in mails must point at this live server
        yield url


def csrf(client: httpx.Client, path: str = "/subscribe") -> str:
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]*)"', page.text)  # "" without a session
    assert match, page.text[:500]
    return match.group(1)


def wait_for_mail(smtp: SmtpServer, count: int) -> None:
    """The confirmation goes out after the response; wait (up to 10 s) for it to arrive."""
    deadline = time.monotonic() + 10
    while len(smtp.sink.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(smtp.sink.messages) >= count, "confirmation mail did not arrive"


def link(message, pattern: str) -> str:  # noqa: ANN001
    match = re.search(pattern, message.get_body(("plain",)).get_content())
    assert match, pattern
    return match.group(0)


def click_confirm(client: httpx.Client, confirm_url: str) -> httpx.Response:
    """Open the confirmation link, then press the page's button (a form that POSTs, with no extra fields)."""
    page = client.get(confirm_url)
    assert page.status_code == 200 and "Confirm subscription" in page.text, page.text[:500]
    action = re.search(r'<form method="post" action="([^"]+)">', page.text)
    assert action, page.text[:500]
    return client.post(action.group(1))


def test_subscribe_confirm_and_one_click_unsubscribe(
    db: Database, site: str, smtp_server: SmtpServer
) -> None:
    add_papers(db, DAY, 4)
    with httpx.Client(base_url=site) as browser:
        token = csrf(browser)
        forged = {"Sec-Fetch-Site": "cross-site"}  # another site's page posting the visitor's address
        refused = browser.post("/subscribe", data={"email": "ann@example.org"}, headers=forged)
        assert refused.status_code == 403  # no mail
        answer = browser.post(
            "/subscribe", data={"email": "ann@example.org", "frequency": "weekly", "csrf_token": token}
        )
        assert answer.status_code == 200 and "Check your inbox" in answer.text
        wait_for_mail(smtp_server, 1)
        assert smtp_server.sink.recipients() == ["ann@example.org"]

        confirm_url = link(smtp_server.sink.messages[0], re.escape(site) + r"/confirm/\S+")
        confirmed = click_confirm(browser, confirm_url)
        assert confirmed.status_code == 200 and "You are subscribed" in confirmed.text
    subscription = get_subscription(db, "ann@example.org")
    assert (subscription.status, subscription.frequency) == ("active", "weekly")

    run_digest(db, smtp_server.settings(Path("/nonexistent"), base_url=site), frequency="weekly", now=NOW)
    digest = smtp_server.sink.messages[-1]
    web_link = str(digest["List-Unsubscribe"]).split(",")[0].strip(" <>")
    assert web_link == link(digest, re.escape(site) + r"/unsubscribe/\S+")

    with httpx.Client() as scanner:  # a mail scanner following links must not unsubscribe anyone
        page = scanner.get(web_link)
        assert page.status_code == 200 and 'method="post"' in page.text
    assert get_subscription(db, "ann@example.org").status == "active"

    with httpx.Client() as mail_client:  # RFC 8058: a bare POST, no cookies, no CSRF token
        one_click = mail_client.post(web_link, data={"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200
    assert get_subscription(db, "ann@example.org").status == "unsubscribed"


def test_known_and_unknown_addresses_get_the_same_answer(
    db: Database, site: str, smtp_server: SmtpServer
) -> None:
    with httpx.Client(base_url=site) as browser:
        token = csrf(browser)
        pages = []
        for address in ["known@example.org", "known@example.org", "fresh@example.org"]:
            response = browser.post("/subscribe", data={"email": address, "csrf_token": token})
            pages.append((response.status_code, response.text.replace(address, "ADDRESS")))
    assert pages[0] == pages[1] == pages[2]
    wait_for_mail(smtp_server, 3)


def test_bad_input_and_bad_links_get_clear_pages(db: Database, site: str, smtp_server: SmtpServer) -> None:
    with httpx.Client(base_url=site) as browser:
        token = csrf(browser)
        bad = browser.post("/subscribe", data={"email": "not an address", "csrf_token": token})
        assert bad.status_code == 400 and "email: " in bad.text and 'value="not an address"' in bad.text
        hourly = browser.post(
            "/subscribe", data={"email": "a@example.org", "frequency": "hourly", "csrf_token": token}
        )
        assert hourly.status_code == 400 and "frequency" in hourly.text
        assert browser.get("/confirm/forged.token").status_code == 400
        forged = browser.post("/confirm/forged.token")
        assert forged.status_code == 400 and "not valid" in forged.text
        assert "not valid" in browser.get("/unsubscribe/forged").text
        assert browser.post("/unsubscribe/forged", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    assert smtp_server.sink.messages == []


def test_unsubscribe_button_in_the_browser(db: Database, site: str, smtp_server: SmtpServer) -> None:
    with httpx.Client(base_url=site) as browser:
        browser.post("/subscribe", data={"email": "b@example.org", "csrf_token": csrf(browser)})
        wait_for_mail(smtp_server, 1)
        click_confirm(browser, link(smtp_server.sink.messages[0], re.escape(site) + r"/confirm/\S+"))
        add_papers(db, DAY, 2)
        run_digest(db, smtp_server.settings(Path("/nonexistent"), base_url=site), frequency="daily", now=NOW)
        page_url = link(smtp_server.sink.messages[-1], re.escape(site) + r"/unsubscribe/\S+")
        done = browser.post(page_url)  # the page's button: an empty form POST
        assert done.status_code == 200 and "You are unsubscribed" in done.text
        assert "b@example.org" in done.text
    assert get_subscription(db, "b@example.org").status == "unsubscribed"


def test_opening_the_confirmation_link_alone_subscribes_nobody(
    db: Database, site: str, smtp_server: SmtpServer
) -> None:
    """Corporate link scanners fetch every link in a mail (with HEAD too): only the button confirms."""
    with httpx.Client(base_url=site) as browser:
        browser.post("/subscribe", data={"email": "scanned@example.org", "csrf_token": csrf(browser)})
        wait_for_mail(smtp_server, 1)
    confirm_url = link(smtp_server.sink.messages[0], re.escape(site) + r"/confirm/\S+")

    with httpx.Client() as scanner:
        for _ in range(3):
            page = scanner.get(confirm_url)
            assert page.status_code == 200 and 'method="post"' in page.text
            assert "You are subscribed" not in page.text
        scanner.head(confirm_url)
    assert get_subscription(db, "scanned@example.org").status == "pending"

    with httpx.Client() as owner:  # from the mail client: no cookies, no CSRF token, just the button
        confirmed = owner.post(confirm_url)
        assert confirmed.status_code == 200 and "You are subscribed" in confirmed.text
    assert get_subscription(db, "scanned@example.org").status == "active"

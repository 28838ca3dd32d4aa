"""What got in a reader's way (issue #14), over HTTP against the real app: saving into collections, the
month view's pager, sorts, categories, empty days, ties, the subscribe bar, digest topics, the demo's links.
Tests where the database matters run on SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from paperfeed.cli.demo import use_served_address
from paperfeed.config import Settings, get_settings
from paperfeed.domain.topics import TopicsError, matches, parse_topics
from paperfeed.services import accounts, collections, community, subscriptions
from paperfeed.services.digest import build_digests
from paperfeed.services.feed import feed_page, parse_period
from paperfeed.store import Database
from paperfeed.store.models import DigestPaperRow, OutboxRow
from tests.support.live_server import add_paper, sign_up, test_app
from tests.support.smtp import add_subscriber

JUL1 = date(2026, 7, 1)
NOON = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
JUNE = [date(2026, 6, d) for d in range(1, 31) if date(2026, 6, d).weekday() < 5]  # the 22 weekdays


def _titles(html: str) -> list[str]:
    return re.findall(r'class="card-title">\s*<a href="[^"]+">([^<]+)</a>', html)


def _june(db: Database, count: int, *, votes: dict[int, int] | None = None) -> list[str]:
    """``count`` papers over June's weekdays (ids 2606.00001…), half of them cs.CL, the rest cs.CV."""
    ids = []
    for n in range(1, count + 1):
        category = "cs.CL" if n % 2 else "cs.CV"
        paper = add_paper(
            db, f"2606.{n:05d}", f"June paper {n}", JUNE[n % len(JUNE)], categories=(category, "cs.LG")
        )
        ids.append(paper.id)
    readers = [accounts.sign_up(db, f"voter{i}", "a long enough password") for i in range(3)]
    for n, count_votes in (votes or {}).items():
        for reader in readers[:count_votes]:
            community.upvote(db, reader.id, f"2606.{n:05d}")
    return ids


@pytest.fixture
def client(sqlite_db: Database, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(test_app(sqlite_db, tmp_path, now=NOON)) as test_client:
        yield test_client


# --- Saving into collections ----------------------------------------------------------------------------


def test_save_menu_saves_unsaves_and_fills_a_named_collection(db: Database, tmp_path: Path) -> None:
    add_paper(db, "2607.00001", "A paper to keep", JUL1)
    with TestClient(test_app(db, tmp_path, now=NOON)) as client:
        token = sign_up(client, "ann")
        page = client.get("/").text
        assert '<span class="save-label">☆ Save</span>' in page
        # a listing carries the menu once, for vote.js to copy into each card, and each card its own state
        assert page.count('<template id="save-menu-template">') == 1 and 'value="saved"' in page
        assert page.count('class="save-form new-collection"') == 1
        assert 'data-paper="2607.00001" data-saved-in=""' in page
        assert 'href="/papers/2607.00001#save"' in page  # without JavaScript: the paper page's menu
        paper_page = client.get("/papers/2607.00001").text
        assert 'id="save"' in paper_page
        assert 'action="/papers/2607.00001/save"' in paper_page and 'value="saved"' in paper_page

        json = {"Accept": "application/json", "X-CSRF-Token": token}
        saved = client.post("/papers/2607.00001/save", data={"collection": "saved"}, headers=json)
        assert saved.json() == {"paper": "2607.00001", "collection": "saved"}
        page = client.get("/").text
        assert '<span class="save-label">★ Saved</span>' in page  # the saved state is visible
        assert 'data-paper="2607.00001" data-saved-in="saved"' in page
        paper_page = client.get("/papers/2607.00001").text
        assert '<span class="save-label">★ Saved</span>' in paper_page
        assert (
            'action="/papers/2607.00001/unsave"' in paper_page
            and 'aria-pressed="true" data-name="Saved"' in paper_page
        )

        new = client.post("/papers/2607.00001/save-new", data={"name": "Reading group"}, headers=json)
        assert new.json() == {
            "paper": "2607.00001",
            "collection": "reading-group",
            "name": "Reading group",
            "saved": True,
        }
        again = client.post("/papers/2607.00001/save-new", data={"name": "reading group"}, headers=json)
        assert again.json()["collection"] == "reading-group"  # the existing one, not an error
        assert "A paper to keep" in client.get("/collections/reading-group").text

        gone = client.post("/papers/2607.00001/unsave", data={"collection": "saved"}, headers=json)
        assert gone.json()["saved"] is False
        user = accounts.log_in(db, "ann", "a long enough password")
        assert collections.memberships(db, user.id, ["2607.00001"]) == {"2607.00001": {"reading-group"}}

        # without JavaScript: a plain form posts and comes back to the page it was on
        plain = client.post(
            "/papers/2607.00001/unsave",
            data={"collection": "reading-group", "csrf_token": token},
            headers={"Referer": f"{client.base_url}/papers/date/2026-07-01"},
            follow_redirects=False,
        )
        assert plain.status_code == 303 and plain.headers["location"] == "/papers/date/2026-07-01"
        assert collections.memberships(db, user.id, ["2607.00001"]) == {}
        assert (
            client.post("/papers/2607.00001/save-new", data={"name": "!!"}, headers=json).status_code == 400
        )
        assert (
            client.post("/papers/2607.00001/unsave", data={"collection": "nope"}, headers=json).status_code
            == 404
        )


def test_save_actions_refuse_other_sites_and_need_an_account(client: TestClient, sqlite_db: Database) -> None:
    add_paper(sqlite_db, "2607.00001", "A paper", JUL1)
    forged = client.post(
        "/papers/2607.00001/unsave", data={"collection": "saved"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert forged.status_code == 403
    anonymous = client.post("/papers/2607.00001/unsave", data={"collection": "saved"}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert "save-label" not in client.get("/").text  # visitors get no save menu


# --- The month view: ranked, paged with numbers and a total -------------------------------------------------


def test_month_view_is_paged_with_numbers_and_a_total(client: TestClient, sqlite_db: Database) -> None:
    _june(sqlite_db, 120)
    page = client.get("/papers/month/2026-06?page=2").text
    assert "Showing 51–100 of 120 papers" in page
    assert re.search(r'<a href="\?page=3" aria-label="Page 3">3</a>', page)
    assert 'aria-current="page" class="active" aria-label="Page 2, this page">2</a>' in page
    assert '<a href="/papers/date/2026-06-30">Tue Jun 30</a>' in page  # the month's days, newest first


def test_a_page_past_the_end_says_so_and_links_to_the_last(client: TestClient, sqlite_db: Database) -> None:
    _june(sqlite_db, 120)
    response = client.get("/papers/month/2026-06?sort=newest&page=99")
    assert response.status_code == 404
    assert "There is no page 99: June 2026 has 3 pages." in response.text
    assert '<a href="?sort=newest&amp;page=3">Go to the last page (3)</a>' in response.text
    assert "Showing" not in response.text and "4901" not in response.text


def test_arrows_tabs_and_pager_keep_the_chosen_sort_and_category(
    client: TestClient, sqlite_db: Database
) -> None:
    _june(sqlite_db, 120)
    add_paper(sqlite_db, "2607.00001", "July paper", JUL1, categories=("cs.CL",))
    page = client.get("/papers/date/2026-06-30?sort=trending&cat=cs.CL").text
    assert 'href="/papers/date/2026-06-29?sort=trending&amp;cat=cs.CL" aria-label="Previous day' in page
    assert 'href="/papers/date/2026-07-01?sort=trending&amp;cat=cs.CL" aria-label="Next day' in page
    assert '<a href="/papers/month/2026-06?sort=trending&amp;cat=cs.CL">Monthly</a>' in page
    month = client.get("/papers/month/2026-06?sort=trending&cat=cs.cl").text
    assert '<a href="?sort=trending&amp;cat=cs.CL&amp;page=2" aria-label="Page 2">' in month


def test_newest_has_a_tab_and_orders_latest_day_first(client: TestClient, sqlite_db: Database) -> None:
    _june(sqlite_db, 30)
    page = client.get("/papers/week/2026-W26?sort=newest").text
    assert '<span aria-current="true" class="active">Newest</span>' in page
    assert '<a href="?sort=trending">Trending</a>' in page
    assert _titles(page)[:2] == [
        "June paper 19",
        "June paper 18",
    ]  # Friday Jun 26 (the week's last day), then Thursday


def test_an_empty_weekend_day_is_explained_with_links(client: TestClient, sqlite_db: Database) -> None:
    add_paper(sqlite_db, "2606.00001", "Friday paper", date(2026, 6, 26))
    add_paper(sqlite_db, "2606.00002", "Monday paper", date(2026, 6, 29))
    page = client.get("/papers/date/2026-06-27").text
    assert "arXiv does not announce papers on weekends, so Saturday Jun 27 has none." in page
    assert '<a href="/papers/date/2026-06-26">Friday Jun 26</a>' in page
    assert '<a href="/papers/date/2026-06-29">Monday Jun 29</a>' in page


def test_category_chips_count_and_filter_case_insensitively(client: TestClient, sqlite_db: Database) -> None:
    _june(sqlite_db, 40)
    page = client.get("/papers/month/2026-06").text
    chips = re.findall(r'<a href="\?cat=([^"]+)" >\1 <span class="count">(\d+)</span>', page)
    assert ("cs.LG", "40") in chips and ("cs.CL", "20") in chips and ("cs.CV", "20") in chips
    narrowed = client.get("/papers/month/2026-06?cat=CS.cl").text
    assert "Showing 1–20 of 20 papers in cs.CL" in narrowed
    assert all(int(t.split()[-1]) % 2 == 1 for t in _titles(narrowed))  # the odd ones are cs.CL
    assert 'aria-current="true" class="active">cs.CL' in narrowed
    none = client.get("/papers/month/2026-06?cat=math.AP").text
    assert "No papers in math.AP for June 2026." in none


# --- Ties and the month ranking ---------------------------------------------------------------------------


def test_without_votes_listings_open_on_the_newest_day_in_arxiv_order(db: Database) -> None:
    _june(db, 30)
    week = parse_period("week", "2026-W26")
    for sort in ("upvotes", "trending"):
        cards = feed_page(db, week, sort=sort, now=NOON).cards
        days = [c.entry.featured_on for c in cards if c.entry]
        assert days == sorted(days, reverse=True), sort  # newest day first, not the order of loading
        friday = [c.paper.id for c in cards if c.entry and c.entry.featured_on == date(2026, 6, 26)]
        assert friday == sorted(friday)  # then arXiv id order


def test_one_vote_does_not_lift_a_paper_to_the_top_of_a_month(db: Database) -> None:
    _june(db, 60, votes={5: 1, 9: 2, 13: 3})
    month = parse_period("month", "2026-06")
    top = [c.paper.id for c in feed_page(db, month, sort="upvotes", now=NOON).cards[:3]]
    assert top[:2] == ["2606.00013", "2606.00009"]  # two readers or more: ranked by their votes
    assert "2606.00005" not in top[:2]
    assert feed_page(db, month, sort="upvotes", now=NOON).cards[0].upvotes == 3
    day = parse_period("day", JUNE[5 % len(JUNE)].isoformat())
    assert feed_page(db, day, sort="upvotes", now=NOON).cards[0].paper.id == "2606.00005"  # a day counts it


# --- The subscribe bar, the account's digest, topics ----------------------------------------------------


def _bar(html: str) -> bool:
    return 'class="subscribe-bar"' in html


def test_the_subscribe_bar_goes_away_after_subscribing_or_no_thanks(client: TestClient) -> None:
    assert _bar(client.get("/").text)
    token = re.search(r'name="csrf_token" value="([^"]*)"', client.get("/").text)  # "": no session yet
    assert token
    client.post("/subscribe/dismiss", data={"csrf_token": token.group(1)}, follow_redirects=False)
    assert not _bar(client.get("/").text)
    assert '<a href="/subscribe">E-mail digest</a>' in client.get("/").text  # still reachable
    client.cookies.clear()
    assert _bar(client.get("/").text)
    token = re.search(r'name="csrf_token" value="([^"]*)"', client.get("/subscribe").text)
    assert token
    client.post("/subscribe", data={"email": "a@example.org", "csrf_token": token.group(1)})
    assert not _bar(client.get("/").text)


def test_account_page_shows_changes_and_leaves_the_digest(db: Database, tmp_path: Path) -> None:
    with TestClient(test_app(db, tmp_path, now=NOON)) as client:
        token = sign_up(client, "bea")
        user = accounts.log_in(db, "bea", "a long enough password")
        assert "You are not subscribed to the digest." in client.get("/account").text
        add_subscriber(db, "bea@example.org", user_id=user.id)
        page = client.get("/account").text
        assert "bea@example.org gets the <strong>daily</strong> digest, on every topic." in page
        client.post(
            "/account/subscription",
            data={"frequency": "weekly", "topics": "cs.CL, Diffusion , cs.cl", "csrf_token": token},
        )
        page = client.get("/account").text
        assert "gets the <strong>weekly</strong> digest, limited to cs.CL, Diffusion." in page
        bad = client.post("/account/subscription", data={"frequency": "hourly", "csrf_token": token})
        assert bad.status_code == 400 and "hourly" in bad.text
        client.post("/account/subscription/leave", data={"csrf_token": token})
        assert "You left the digest." in client.get("/account").text
        assert subscriptions.get_subscription(db, "bea@example.org").status == "unsubscribed"  # type: ignore[union-attr]


def test_topics_parse_forgivingly_and_match_categories_or_words() -> None:
    assert parse_topics(" cs.CL ; diffusion models,, CS.cl\nhep-th") == (
        "cs.CL",
        "diffusion models",
        "hep-th",
    )
    with pytest.raises(TopicsError, match="at most 20"):
        parse_topics(",".join(f"t{n}" for n in range(21)))
    on = {"title": "Diffusion models for text", "abstract": "", "categories": ("cs.LG",)}
    assert matches(("diffusion models",), **on) and matches(("cs.lg",), **on) and matches((), **on)
    assert not matches(("cs.CL",), **on) and not matches(("diffusion model",), **on)  # whole words only


def test_the_digest_keeps_to_the_subscribers_topics(db: Database, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, secret_key="k" * 32, base_url="http://testserver")
    day = date(2026, 6, 30)
    for n in range(1, 9):
        category = "cs.CL" if n <= 3 else "cs.CV"
        add_paper(db, f"2606.{n:05d}", f"Paper {n}", day, categories=(category,), external_upvotes=n)
    add_paper(db, "2606.00009", "Diffusion for images", day, categories=("eess.IV",), external_upvotes=1)
    everyone = add_subscriber(db, "all@example.org")
    narrow = add_subscriber(db, "narrow@example.org")
    with db.session() as session:
        session.execute(
            sa.text("UPDATE subscriptions SET topics = 'cs.CL, diffusion' WHERE id = :i"), {"i": narrow}
        )
    build_digests(db, settings, frequency="daily", now=datetime(2026, 6, 30, 9, tzinfo=UTC))
    with db.sessions() as session:
        sent = {
            sub: set(
                session.scalars(
                    sa.select(DigestPaperRow.paper_id).where(DigestPaperRow.subscription_id == sub)
                )
            )
            for sub in (everyone, narrow)
        }
    assert sent[narrow] == {"2606.00001", "2606.00002", "2606.00003", "2606.00009"}
    assert len(sent[everyone]) == 9
    with db.sessions() as session:
        bodies = dict(session.execute(sa.select(OutboxRow.subscription_id, OutboxRow.body_text)).all())
    assert "Limited to your topics: cs.CL, diffusion" in bodies[narrow]
    assert "Limited to your topics" not in bodies[everyone]


def test_topics_travel_in_the_confirmation_link(db: Database, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, secret_key="k" * 32, base_url="http://testserver")
    subscriptions.request_subscription(db, settings, email="c@example.org", topics="math.AP, PDE")
    with db.sessions() as session:
        body = session.scalars(sa.text("SELECT body_text FROM outbox")).first() or ""
    link = re.search(r"/confirm/(\S+)", body)
    assert link, body
    confirmed = subscriptions.confirm_subscription(db, settings, link.group(1))
    assert confirmed.topics == ("math.AP", "PDE") and confirmed.status == "active"


# --- The demo's mail links, the API docs offline -------------------------------------------------------


def test_the_demo_links_to_the_port_it_serves_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAPERFEED_BASE_URL", raising=False)
    assert use_served_address("0.0.0.0", 8123) == "http://127.0.0.1:8123"
    assert get_settings().base_url == "http://127.0.0.1:8123"
    monkeypatch.setenv("PAPERFEED_BASE_URL", "https://papers.example.org")
    assert use_served_address("127.0.0.1", 9000) == "https://papers.example.org"  # an explicit one wins
    get_settings.cache_clear()


def test_api_docs_load_swagger_ui_from_this_server(client: TestClient) -> None:
    page = client.get("/api/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', page)
    assert assets and all(a.startswith("/static/swagger-ui/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200
    assert "/api/openapi.json" in page


def test_the_month_view_of_a_big_month_keeps_page_numbers_short(db: Database) -> None:
    _june(db, 260)
    month = parse_period("month", "2026-06")
    listing = feed_page(db, month, page=3, now=NOON)
    assert listing.page_numbers() == [1, 2, 3, 4, 5, 6]
    listing = feed_page(db, month, page=1, page_size=10, now=NOON)
    assert listing.page_numbers() == [1, 2, 3, None, 26]
    assert (listing.first_shown, listing.last_shown, listing.total) == (1, 10, 260)


def test_headings_go_down_one_level_at_a_time(client: TestClient, sqlite_db: Database) -> None:
    add_paper(sqlite_db, "2607.00001", "Language models for weather", JUL1)
    sign_up(client, "hanna")
    for path in ("/", "/trending", "/search?q=language", "/collections/saved"):
        levels = [int(n) for n in re.findall(r"<h([1-6])[ >]", client.get(path).text)]
        assert levels[0] == 1, path
        jumps = [b - a for a, b in zip(levels, levels[1:], strict=False)]
        assert max(jumps) <= 1, (path, levels)  # never h1 → h3

"""Security at the HTTP level: CSRF, escaping of paper text and comments, rate limits, cookies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.store import Database
from paperfeed.store.models import UserRow
from paperfeed.web.app import create_app
from paperfeed.web.ratelimit import Limit
from tests.support.live_server import add_paper, csrf_of, sign_up, test_app

EVIL_TITLE = "<script>alert(1)</script>"
DAY = date(2026, 7, 1)


@pytest.fixture
def client(sqlite_db: Database, tmp_path: Path) -> Iterator[TestClient]:
    add_paper(
        sqlite_db,
        "2607.00001",
        EVIL_TITLE,
        DAY,
        abstract='"><img src=x onerror=alert(2)>',
        authors=("<b>Mallory</b>",),
    )
    with TestClient(test_app(sqlite_db, tmp_path)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/signup", {"username": "eve", "password": "a long enough password"}),
        ("/login", {"username": "eve", "password": "a long enough password"}),
        ("/logout", {}),
        ("/papers/2607.00001/upvote", {}),
        ("/papers/2607.00001/comments", {"body": "hi"}),
        ("/papers/2607.00001/save", {}),
        ("/account/token", {}),
        ("/collections", {"name": "Reading"}),
        ("/submit", {"paper": "2607.00001"}),
    ],
)
def test_post_without_csrf_token_is_403(client: TestClient, path: str, data: dict) -> None:
    sign_up(client, "mallory")  # a session exists, but its token is not sent back
    response = client.post(path, data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "security token" in response.text


CROSS_SITE = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another site's page too
    {"Origin": "https://evil.example"},  # an older browser: no fetch metadata, but an Origin
    {"Origin": "null"},  # a sandboxed frame or a data: URL
]


@pytest.mark.parametrize("headers", CROSS_SITE)
@pytest.mark.parametrize("path", ["/signup", "/login", "/subscribe", "/papers/2607.00001/upvote"])
def test_post_from_another_sites_page_is_403_with_or_without_a_session(
    client: TestClient, path: str, headers: dict[str, str]
) -> None:
    form = {"username": "eve", "password": "a long enough password", "email": "eve@example.org"}
    anonymous = client.post(path, data=form, headers=headers, follow_redirects=False)
    assert anonymous.status_code == 403 and "another site" in anonymous.text
    csrf = sign_up(client, "victim")
    signed_in = client.post(path, data={**form, "csrf_token": csrf}, headers=headers, follow_redirects=False)
    assert signed_in.status_code == 403 and "another site" in signed_in.text


def test_anonymous_pages_make_no_session_and_carry_no_token(client: TestClient) -> None:
    for path in ("/", "/login", "/signup", "/papers/2607.00001"):
        page = client.get(path)
        assert page.status_code == 200
        assert "set-cookie" not in page.headers, path
        assert '<meta name="csrf-token" content="">' in page.text
        assert 'name="csrf_token" value=""' in page.text or path == "/papers/2607.00001"
    assert not client.cookies


@pytest.mark.parametrize("headers", [{"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://testserver"}, {}])
def test_anonymous_forms_from_this_site_work_without_a_token(client: TestClient, headers: dict) -> None:
    form = {"username": "ada", "password": "a long enough password"}
    response = client.post("/signup", data=form, headers=headers, follow_redirects=False)
    assert response.status_code == 303
    assert csrf_of(client, "/")  # signed up: now the pages carry the session's token


def test_wrong_csrf_token_is_403_and_a_header_token_works(client: TestClient) -> None:
    csrf = sign_up(client, "alice")
    assert client.post("/papers/2607.00001/upvote", headers={"X-CSRF-Token": "forged"}).status_code == 403
    headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
    ok = client.post("/papers/2607.00001/upvote", headers=headers)
    assert ok.json() == {"paper": "2607.00001", "upvotes": 1, "voted": True}


@pytest.mark.parametrize(
    "path", ["/", "/papers/2607.00001", "/search?q=script", "/trending", "/papers/week/2026-W27"]
)
def test_paper_text_is_escaped_on_every_page(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html and "<b>Mallory" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("path", ["/papers/date/2026-07-01/rss", "/trending.atom", "/search.rss?q=script"])
def test_paper_text_survives_feeds_as_text(client: TestClient, path: str) -> None:
    root = etree.fromstring(client.get(path).content)
    titles = [t.text for t in root.iter("title", "{http://www.w3.org/2005/Atom}title")]
    assert EVIL_TITLE in titles  # the exact text, as data: a reader escapes it, it is not markup here
    assert b"<script>" not in client.get(path).content


def test_comments_are_markdown_without_html_or_script_links(client: TestClient) -> None:
    csrf = sign_up(client, "bob")
    body = (
        "**bold** and <img src=x onerror=alert(3)> and [click](javascript:alert(4))\n\n"
        "<script>alert(5)</script>"
    )
    posted = client.post("/papers/2607.00001/comments", data={"body": body, "csrf_token": csrf})
    assert posted.status_code == 200
    html = posted.text
    assert "<strong>bold</strong>" in html
    assert "<img" not in html.split('id="comments-h"', 1)[1].split("</section>", 1)[0]
    assert 'href="javascript:' not in html and "<script>alert(5)" not in html
    assert "&lt;img src=x onerror=alert(3)&gt;" in html


def test_login_is_rate_limited_with_a_clear_429(client: TestClient) -> None:
    csrf = csrf_of(client)
    form = {"username": "nobody", "password": "wrong password", "csrf_token": csrf}
    statuses = [client.post("/login", data=form).status_code for _ in range(10)]
    assert statuses == [400] * 10
    blocked = client.post("/login", data=form)
    assert blocked.status_code == 429
    assert "Too many login requests" in blocked.text
    assert int(blocked.headers["Retry-After"]) > 0


def test_votes_are_rate_limited_per_user(client: TestClient) -> None:
    client.app.state.limiter.limits["vote"] = Limit(3, 60)
    csrf = sign_up(client, "carol")
    headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
    codes = [client.post("/papers/2607.00001/upvote", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    blocked = client.post("/papers/2607.00001/unvote", headers=headers)
    assert "Too many vote requests" in blocked.json()["detail"]


def test_sign_up_is_rate_limited(client: TestClient) -> None:
    client.app.state.limiter.limits["signup"] = Limit(2, 3600)
    codes = []
    for name in ("one", "two", "three"):
        client.cookies.clear()
        codes.append(
            client.post(
                "/signup",
                data={"username": name, "password": "a long enough password", "csrf_token": csrf_of(client)},
                follow_redirects=False,
            ).status_code
        )
    assert codes == [303, 303, 429]


def test_session_cookie_is_httponly_lax_and_secure_behind_https(sqlite_db: Database, tmp_path: Path) -> None:
    for name, base_url, secure in (
        ("plain", "http://127.0.0.1:8000", False),
        ("tls", "https://papers.example.org", True),
    ):
        settings = Settings(home=tmp_path, secret_key="k" * 40, base_url=base_url)
        with TestClient(create_app(settings, sqlite_db), base_url="https://testserver") as client:
            form = {"username": name, "password": "a long enough password"}
            cookie = client.post("/signup", data=form, follow_redirects=False).headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        assert ("secure" in cookie) is secure


def test_log_in_never_redirects_off_site(client: TestClient) -> None:
    sign_up(client, "dave")
    client.post("/logout", data={"csrf_token": csrf_of(client, "/")})
    response = client.post(
        "/login",
        follow_redirects=False,
        data={
            "username": "dave",
            "password": "a long enough password",
            "next": "//evil.example/",
            "csrf_token": csrf_of(client),
        },
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_passwords_are_stored_as_argon2_hashes(client: TestClient, sqlite_db: Database) -> None:
    sign_up(client, "erin", "a long enough password")
    with sqlite_db.sessions() as session:
        stored = session.query(UserRow.password_hash).filter(UserRow.username == "erin").scalar()
    assert stored.startswith("$argon2id$") and "a long enough password" not in stored


def test_a_javascript_link_in_paper_metadata_never_becomes_an_href(
    sqlite_db: Database, tmp_path: Path
) -> None:
    add_paper(
        sqlite_db,
        "2607.00002",
        "Links",
        DAY,
        github_repo="javascript:alert(document.cookie)",
        project_page="https://example.org/project",
    )
    with TestClient(test_app(sqlite_db, tmp_path)) as test_client:
        page = test_client.get("/papers/2607.00002").text
    assert "javascript:" not in page
    assert 'href="https://example.org/project"' in page


def test_every_response_forbids_framing_and_sniffing_and_account_pages_are_not_cached(
    client: TestClient,
) -> None:
    home = client.get("/")
    account = client.get("/login")
    for response in (home, account, client.get("/api/daily_papers")):
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
    assert account.headers["cache-control"] == "no-store"
    assert "no-store" not in home.headers.get("cache-control", "")


def test_a_versioned_id_in_the_url_votes_for_the_paper(client: TestClient) -> None:
    csrf = sign_up(client, "dave")
    headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
    voted = client.post("/papers/2607.00001v2/upvote", headers=headers)
    assert voted.json() == {"paper": "2607.00001", "upvotes": 1, "voted": True}
    assert client.post("/papers/2607.99999/unvote", headers=headers).status_code == 404


def test_guessing_one_accounts_password_is_limited_per_account_but_never_for_its_owners_browser(
    client: TestClient,
) -> None:
    client.app.state.limiter.limits["login_account"] = Limit(3, 3600)
    sign_up(client, "erin")  # the owner's browser: remembered as one erin logs in from
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    with TestClient(client.app, client=("198.51.100.7", 50000)) as stranger:
        guess = {"username": "Erin", "password": "not the password", "csrf_token": csrf_of(stranger)}
        assert [stranger.post("/login", data=guess).status_code for _ in range(4)] == [400, 400, 400, 429]
        assert "Too many login requests" in stranger.post("/login", data=guess).text
        assert stranger.post("/login", data={**guess, "username": "someone-else"}).status_code == 400
    right = client.post(
        "/login",
        follow_redirects=False,
        data={"username": "erin", "password": "a long enough password", "csrf_token": csrf_of(client)},
    )
    assert right.status_code == 303

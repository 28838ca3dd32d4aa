"""Issue #11, the web half: every finding of the outside audit as a test, on SQLite and PostgreSQL.

Each test names the finding it pins down. Inputs that broke the app before answer 4xx now, alike on both
backends; what the audit found missing (limits, HEAD, headers, documentation) is there.
"""

from __future__ import annotations

import contextlib
import html
import re
import socket
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperfeed.mail.outbox import send_pending
from paperfeed.services import accounts, collections
from paperfeed.services.accounts import AccountError
from paperfeed.services.collections import CollectionError
from paperfeed.services.subscriptions import confirm_subscription, get_subscription
from paperfeed.store import Database
from tests.support.live_server import add_paper, csrf_of, serve, sign_up, test_app
from tests.support.smtp import SmtpServer

DAY = date(2026, 7, 1)
LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture
def app(db: Database, tmp_path: Path):  # noqa: ANN201
    add_paper(db, "2607.00001", "Diffusion models for weather", DAY, categories=("cs.LG",))
    add_paper(db, "2607.00002", "Sparse attention revisited", DAY)
    return test_app(db, tmp_path)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(app) as test_client:
        yield test_client


# --- 3: a NUL (or another character no database or feed can hold) in any text input -----------------

QUERIES = [
    "/search?q=a%00b",
    "/search?q=weather&author=Ada%00",
    "/search?q=weather&category=cs.LG%00",
    "/search?q=weather&from=2026-07-01%00",
    "/search.atom?q=weather%01",
    "/api/papers/search?q=%00",
    "/api/daily_papers?date=2026-07-01%00",
    "/collections/a%00b",
    "/papers/2607.00001%00",
]


@pytest.mark.parametrize("path", QUERIES)
def test_finding_3_a_control_character_in_a_query_or_path_is_a_400(client: TestClient, path: str) -> None:
    sign_up(client, "reader")  # /collections/… needs a log-in
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 400, response.text[:300]
    assert "control character" in response.text or "not an arXiv id" in response.text


FORMS = [
    ("/login", {"username": "alice\x00", "password": "a long enough password"}, "username"),
    (
        "/signup",
        {"username": "bob", "password": "a long enough password", "email": "b\x00@example.org"},
        "email",
    ),
    ("/papers/2607.00001/comments", {"body": "nice\x00"}, "body"),
    ("/collections", {"name": "Reading\x00"}, "name"),
    ("/subscribe", {"email": "ann\x00@example.org"}, "email"),
    ("/submit", {"paper": "2607.00001\x00"}, "paper"),
]


@pytest.mark.parametrize(("path", "data", "field"), FORMS)
def test_finding_3_a_nul_in_any_form_field_is_a_400_naming_the_field(
    client: TestClient, path: str, data: dict[str, str], field: str
) -> None:
    csrf = sign_up(client, "reader")
    response = client.post(path, data={**data, "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 400, response.text[:300]
    text = html.unescape(response.text)
    assert f"'{field}'" in text and "control character" in text


def test_finding_3_a_nul_in_a_multipart_form_or_a_json_body_is_a_400(
    client: TestClient, db: Database
) -> None:
    csrf = csrf_of(client)
    fields = {"username": (None, "alice\x00"), "password": (None, "pw"), "csrf_token": (None, csrf)}
    assert client.post("/login", files=fields).status_code == 400
    user = accounts.sign_up(db, "apiuser", "a long enough password")
    auth = {"Authorization": f"Bearer {accounts.new_api_token(db, user.id)}"}
    for escape in ("\\u0000", "\\ud800"):
        body = '{"paper": "2607.00001' + escape + '"}'
        response = client.post(
            "/api/papers/submit", content=body, headers={**auth, "content-type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert isinstance(response.json()["detail"], str)


def test_finding_3_a_412_character_sign_up_email_is_a_400(client: TestClient, db: Database) -> None:
    email = "a" * 400 + "@example.org"
    with pytest.raises(AccountError) as error:
        accounts.sign_up(db, "longmail", "a long enough password", email)
    assert error.value.field == "email" and "254" in str(error.value)
    client.cookies.clear()
    page = client.post(
        "/signup",
        data={
            "username": "longmail",
            "password": "a long enough password",
            "email": email,
            "csrf_token": csrf_of(client),
        },
    )
    assert page.status_code == 400 and "254" in page.text


# --- 6: the ends of the calendar ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/papers/date/9999-12-31", 200),
        ("/papers/date/0001-01-01", 200),
        ("/papers/week/0001-W01", 200),
        ("/papers/month/0001-01", 200),
        ("/api/daily_papers?date=9999-12-31", 200),
        ("/api/daily_papers?month=0001-01", 200),
        # The feed service refuses the periods that end past 9999-12-31, with a sentence:
        ("/papers/week/9999-W52", 400),
        ("/papers/month/9999-12", 400),
    ],
)
def test_finding_6_listings_at_the_ends_of_the_calendar_answer_without_error(
    client: TestClient, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text[:300]


# --- 9: made-up methods ------------------------------------------------------------------------------


def test_finding_9_made_up_http_methods_do_not_add_metric_series(app) -> None:  # noqa: ANN001
    with TestClient(app, client=LOOPBACK) as client:
        for n in range(30):
            client.request(f"FOO{n}", "/")
            client.request(f"BAR{n}", f"/nowhere/{n}")
        metrics = client.get("/metrics").text
    methods = set(re.findall(r'paperfeed_http_requests_total\{method="([^"]+)"', metrics))
    assert methods == {"other"}
    assert 'method="other",route="/",status="405"} 30.0' in metrics


# --- 10: request bodies ------------------------------------------------------------------------------


def _raw_request(url: str, head: str, body_chunks: Iterator[bytes] = iter(())) -> tuple[str, int]:
    """Send ``head`` (and chunks while the server listens) on a raw socket; the status line and the
    number of body bytes sent before the server answered."""
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        answer = b""
        deadline = time.monotonic() + 10
        for chunk in body_chunks:
            with contextlib.suppress(BlockingIOError):
                answer += sock.recv(65536)
            if answer or time.monotonic() > deadline:
                break
            try:
                sock.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.setblocking(True)
        while b"\r\n" not in answer:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
    return answer.split(b"\r\n", 1)[0].decode(), sent


def test_finding_10_a_declared_50_mb_json_body_is_refused_unread(app) -> None:  # noqa: ANN001
    with serve(app) as url:
        status, _ = _raw_request(
            url,
            "POST /api/papers/submit HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\nContent-Length: 52428800\r\n\r\n",
        )
        assert status == "HTTP/1.1 413 Request Entity Too Large" or status.startswith("HTTP/1.1 413")
        status, _ = _raw_request(
            url,
            "POST /login HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 104857600\r\n\r\n",
        )
        assert status.startswith("HTTP/1.1 413")


def test_finding_10_a_chunked_form_is_cut_off_at_the_limit(app) -> None:  # noqa: ANN001
    chunk = b"a" * 65536
    chunks = (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(1600))  # 100 MB if all were sent
    with serve(app) as url:
        status, sent = _raw_request(
            url,
            "POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\n",
            chunks,
        )
    assert status.startswith("HTTP/1.1 413")
    assert sent < 16 * 1024 * 1024  # the limit and what the sockets' buffers hold, not 100 MB


# --- 11: passwords -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("12345678", "common password"),
        ("password", "common password"),
        (" " * 8, "only spaces"),
        ("margaret", "your username"),
        ("Margaret1", "your username"),
        ("xxxxxxxxxxxx", "Repeats"),
    ],
)
def test_finding_11_common_and_trivial_passwords_are_refused_with_a_reason(
    sqlite_db: Database, password: str, reason: str
) -> None:
    with pytest.raises(AccountError) as error:
        accounts.sign_up(sqlite_db, "margaret", password)
    assert error.value.field == "password" and reason in str(error.value)
    assert accounts.get_user_by_name(sqlite_db, "margaret") is None
    user = accounts.sign_up(sqlite_db, "margaret", "a long enough password")
    with pytest.raises(AccountError, match=re.escape(reason)):
        accounts.set_password(sqlite_db, user.id, password)


def test_finding_11_the_sign_up_page_says_why_a_password_is_refused(client: TestClient) -> None:
    page = client.post(
        "/signup", data={"username": "margaret", "password": "password", "csrf_token": csrf_of(client)}
    )
    assert page.status_code == 400 and "common password" in page.text


# --- 12: sign-up does not tell who has an account --------------------------------------------------


def test_finding_12_signing_up_with_a_taken_email_answers_like_a_fresh_sign_up(
    client: TestClient, db: Database
) -> None:
    accounts.sign_up(db, "owner", "a long enough password", "owner@example.org")
    answers = []
    for name, email in (("fresh", "fresh@example.org"), ("copycat", "OWNER@example.org")):
        client.cookies.clear()
        answers.append(
            client.post(
                "/signup",
                data={
                    "username": name,
                    "password": "a long enough password",
                    "email": email,
                    "csrf_token": csrf_of(client),
                },
                follow_redirects=False,
            )
        )
    assert [a.status_code for a in answers] == [303, 303]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert "taken" not in answers[1].text
    copycat = accounts.get_user_by_name(db, "copycat")
    assert copycat is not None and copycat.email is None  # the address stays its owner's
    assert accounts.get_user_by_name(db, "owner").email == "owner@example.org"  # type: ignore[union-attr]
    with pytest.raises(AccountError, match="username is already taken"):
        accounts.sign_up(db, "Owner", "a long enough password", "other@example.org")


# --- 13: HEAD ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        "/",
        "/papers/date/2026-07-01",
        "/search?q=weather",
        "/api/daily_papers",
        "/api/papers/2607.00001",
        "/trending.atom",
        "/static/style.css",
    ],
)
def test_finding_13_head_answers_like_get_without_a_body(client: TestClient, path: str) -> None:
    get, head = client.get(path), client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["x-frame-options"] == "DENY"


def test_finding_13_head_is_not_a_way_around_a_post_only_route(client: TestClient) -> None:
    response = client.head("/logout")
    assert response.status_code == 405 and response.content == b""


# --- 14: collections -------------------------------------------------------------------------------


def test_finding_14_a_reader_can_make_only_so_many_collections(
    client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collections, "MAX_COLLECTIONS", 4)  # "Saved" and three more
    csrf = sign_up(client, "collector")
    codes = [
        client.post(
            "/collections", data={"name": f"List {n}", "csrf_token": csrf}, follow_redirects=False
        ).status_code
        for n in range(4)
    ]
    assert codes == [303, 303, 303, 400]
    refused = client.post("/collections", data={"name": "One more", "csrf_token": csrf})
    assert "at most 4 collections" in refused.text
    user = accounts.get_user_by_name(db, "collector")
    assert len(collections.list_collections(db, user.id)) == 4  # type: ignore[union-attr]
    with pytest.raises(CollectionError, match="at most 4"):
        collections.create_collection(db, user.id, "Another")  # type: ignore[union-attr]


# --- 15: the OpenAPI document tells the truth ---------------------------------------------------------


def test_finding_15_a_422_body_matches_its_schema(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    documented = schema["paths"]["/api/daily_papers"]["get"]["responses"]["422"]
    ref = documented["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][ref]["properties"]["detail"]["type"] == "string"
    response = client.get("/api/daily_papers?p=-1")
    assert response.status_code == 422 and isinstance(response.json()["detail"], str)


def test_finding_15_error_statuses_and_the_bearer_scheme_are_documented(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    bearer = schema["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    paths = schema["paths"]
    for path, method in [
        ("/api/papers/submit", "post"),
        ("/api/papers/{paper_id}/upvote", "post"),
        ("/api/papers/{paper_id}/upvote", "delete"),
        ("/api/for-you", "get"),
    ]:
        operation = paths[path][method]
        assert operation["security"] == [{"bearer": []}], path
        assert {"400", "401"} <= set(operation["responses"]), (path, method)
    for path in ("/api/papers/submit", "/api/papers/{paper_id}/upvote"):
        assert "429" in paths[path]["post"]["responses"]
    for path in ("/api/papers/{paper_id}", "/api/papers/{paper_id}/similar"):
        assert {"400", "404"} <= set(paths[path]["get"]["responses"])
    for path, operations in paths.items():
        for method, operation in operations.items():
            assert "400" in operation["responses"], (path, method)


def test_finding_15_options_and_wrong_methods_list_every_allowed_method(client: TestClient) -> None:
    for method in ("OPTIONS", "PUT", "PATCH"):
        response = client.request(method, "/api/papers/2607.00001/upvote")
        assert response.status_code == 405
        allowed = {m.strip() for m in response.headers["allow"].split(",")}
        assert {"POST", "DELETE"} <= allowed, response.headers["allow"]
    assert client.options("/healthz").headers["allow"] == "GET, HEAD"


# --- 17: a stranger's subscription of someone else's address -----------------------------------------


def test_finding_17_only_an_accounts_own_address_is_linked_to_it(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    stranger = accounts.sign_up(db, "stranger", "a long enough password", "stranger@example.org")
    with TestClient(test_app(db, tmp_path)) as client:
        client.app.state.settings = settings
        csrf = sign_up(client, "mallory")
        client.post("/subscribe", data={"email": "victim@example.org", "csrf_token": csrf})
        client.post("/logout", data={"csrf_token": csrf})
        client.cookies.clear()
        csrf = csrf_of(client)
        client.post(
            "/login", data={"username": "stranger", "password": "a long enough password", "csrf_token": csrf}
        )
        client.post("/subscribe", data={"email": "Stranger@Example.org", "csrf_token": csrf_of(client, "/")})
    send_pending(db, settings)
    tokens = {}
    for message in smtp_server.sink.messages:
        found = re.search(r"/confirm/(\S+)", message.get_body(("plain",)).get_content())
        assert found
        tokens[message["To"].lower()] = found.group(1)
    assert confirm_subscription(db, settings, tokens["victim@example.org"]).user_id is None
    assert confirm_subscription(db, settings, tokens["stranger@example.org"]).user_id == stranger.id
    assert get_subscription(db, "victim@example.org").user_id is None  # type: ignore[union-attr]


# --- 18: defence in depth ---------------------------------------------------------------------------


def test_finding_18_the_csp_allows_only_the_sites_own_scripts(client: TestClient) -> None:
    csp = client.get("/").headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split("; ")}
    assert directives["default-src"] == ["'self'"] and directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "script-src" in docs.headers["content-security-policy"]


def test_finding_18_a_500_carries_the_security_headers(app) -> None:  # noqa: ANN001
    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken")
    assert response.status_code == 500
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "a bug" not in response.text


def test_finding_18_metrics_are_for_loopback_only_and_do_not_count_per_scrape(app) -> None:  # noqa: ANN001
    with TestClient(app, client=("203.0.113.9", 50000)) as outsider:
        assert outsider.get("/metrics").status_code == 404
    papers, counts = app.state.metrics.papers, []
    count = papers.count
    papers.count = lambda: counts.append(1) or count()  # the count(*) behind paperfeed_papers
    with TestClient(app, client=LOOPBACK) as local:
        scrapes = [local.get("/metrics") for _ in range(5)]
    assert all(s.status_code == 200 and "paperfeed_papers 2.0" in s.text for s in scrapes)
    assert len(counts) == 1


def test_finding_18_metrics_open_to_a_configured_network(db: Database, tmp_path: Path) -> None:
    app = test_app(db, tmp_path)
    app.state.metrics.allow = ("203.0.113.0/24",)
    with TestClient(app, client=("203.0.113.9", 50000)) as monitor:
        assert monitor.get("/metrics").status_code == 200

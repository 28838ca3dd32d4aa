"""Server-side sessions, on SQLite and PostgreSQL: log-out, a password change, "log out everywhere" and an
admin's revoke end sessions for good, whichever copy of the cookie comes back."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from starlette.testclient import TestClient

from paperfeed.services import accounts
from paperfeed.store import Database
from paperfeed.store.models import WebSessionRow
from tests.support.live_server import add_paper, csrf_of, sign_up, test_app

PASSWORD = "a long enough password"
NEW_PASSWORD = "quite another passphrase"
JSON = {"Accept": "application/json"}


@pytest.fixture
def app(db: Database, tmp_path: Path) -> FastAPI:
    add_paper(db, "2607.00001", "Diffusion models for weather", date(2026, 7, 1))
    return test_app(db, tmp_path)


@pytest.fixture
def browsers(app: FastAPI) -> Iterator[tuple[TestClient, TestClient]]:
    """Two browsers of one reader: ``first`` signs alice up, ``second`` logs in as her."""
    with TestClient(app) as first, TestClient(app) as second:
        sign_up(first, "alice", PASSWORD)
        log_in(second, "alice", PASSWORD)
        yield first, second


def log_in(client: TestClient, username: str, password: str) -> int:
    return client.post(
        "/login",
        follow_redirects=False,
        data={"username": username, "password": password, "csrf_token": csrf_of(client)},
    ).status_code


def logged_in(client: TestClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def vote(client: TestClient, csrf: str) -> int:
    return client.post("/papers/2607.00001/upvote", headers={**JSON, "X-CSRF-Token": csrf}).status_code


def session_id(client: TestClient) -> str:
    payload = client.cookies["paperfeed_session"].split(".", 1)[0]
    return json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))["sid"]


def test_log_out_ends_the_session_so_a_copy_of_the_cookie_opens_nothing(app: FastAPI) -> None:
    with TestClient(app) as browser, TestClient(app) as thief:
        csrf = sign_up(browser, "alice", PASSWORD)
        thief.cookies.update(browser.cookies)  # copied before the log-out
        assert logged_in(thief) and vote(thief, csrf) == 200
        browser.post("/logout", data={"csrf_token": csrf})
        assert not logged_in(browser)
        assert not logged_in(thief)
        assert vote(thief, csrf) in (401, 403)


def test_a_password_change_ends_every_other_session_and_keeps_this_browser_in(
    browsers: tuple[TestClient, TestClient], db: Database
) -> None:
    first, second = browsers
    changed = first.post(
        "/account/password",
        follow_redirects=False,
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "csrf_token": csrf_of(first, "/account"),
        },
    )
    assert changed.status_code == 303
    assert "every other browser was logged out" in first.get(changed.headers["location"]).text
    assert logged_in(first) and not logged_in(second)
    assert vote(first, csrf_of(first, "/")) == 200
    assert log_in(second, "alice", PASSWORD) == 400
    assert log_in(second, "alice", NEW_PASSWORD) == 303
    assert _sessions(db) == 2


def test_a_wrong_current_password_changes_nothing(
    browsers: tuple[TestClient, TestClient], db: Database
) -> None:
    first, second = browsers
    refused = first.post(
        "/account/password",
        data={
            "current_password": "not my password",
            "new_password": NEW_PASSWORD,
            "csrf_token": csrf_of(first, "/account"),
        },
    )
    assert refused.status_code == 400 and "not your current password" in refused.text
    assert logged_in(first) and logged_in(second)
    assert accounts.log_in(db, "alice", PASSWORD).username == "alice"


def test_log_out_everywhere_ends_every_session_of_the_account(
    browsers: tuple[TestClient, TestClient], db: Database
) -> None:
    first, second = browsers
    with TestClient(first.app) as someone_else:
        sign_up(someone_else, "bob", PASSWORD)
        response = first.post(
            "/account/logout-everywhere",
            follow_redirects=False,
            data={"csrf_token": csrf_of(first, "/account/password")},
        )
        assert response.status_code == 303 and response.headers["location"] == "/login"
        assert not logged_in(first) and not logged_in(second)
        assert logged_in(someone_else)  # only alice's sessions ended
    assert _sessions(db) == 1


def test_an_admin_can_log_a_user_out_of_every_browser(
    browsers: tuple[TestClient, TestClient], db: Database
) -> None:
    alice = accounts.get_user_by_name(db, "alice")
    assert alice is not None
    assert accounts.revoke_sessions(db, alice.id) == 2
    assert not any(logged_in(browser) for browser in browsers)


def test_the_database_keeps_only_a_hash_of_the_session_id(
    browsers: tuple[TestClient, TestClient], db: Database
) -> None:
    ids = {session_id(browser) for browser in browsers}
    with db.sessions() as session:
        stored = set(session.scalars(sa.select(WebSessionRow.id_hash)))
    assert stored == {hashlib.sha256(sid.encode()).hexdigest() for sid in ids}
    assert not stored & ids


def test_log_in_starts_a_new_session_id_and_csrf_token_and_the_old_token_is_refused(app: FastAPI) -> None:
    with TestClient(app) as browser:
        assert csrf_of(browser) == "" and not browser.cookies  # a visitor has no session until they post
        first_csrf = sign_up(browser, "carol", PASSWORD)
        first_id = session_id(browser)
        browser.post("/logout", data={"csrf_token": first_csrf})
        assert log_in(browser, "carol", PASSWORD) == 303
        assert csrf_of(browser, "/") not in ("", first_csrf)
        assert session_id(browser) != first_id
        assert vote(browser, first_csrf) == 403


def _sessions(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(sa.select(sa.func.count()).select_from(WebSessionRow)) or 0

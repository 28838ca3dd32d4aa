"""Rate limits counted in the database, on SQLite and PostgreSQL: one limit for every worker and node, exact
under concurrency, and a per-account log-in limit that a stranger cannot turn against the account's owner."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from paperfeed.store import Database
from paperfeed.store.limits import Limit, SharedLimiter
from paperfeed.web.ratelimit import DEFAULT_LIMITS
from tests.support.live_server import add_paper, csrf_of, sign_up, test_app

PASSWORD = "a long enough password"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def log_in(client: TestClient, username: str, password: str) -> int:
    return client.post(
        "/login",
        follow_redirects=False,
        data={"username": username, "password": password, "csrf_token": csrf_of(client)},
    ).status_code


@pytest.fixture
def app(db: Database, tmp_path: Path) -> FastAPI:
    add_paper(db, "2607.00001", "Diffusion models for weather", date(2026, 7, 1))
    return test_app(db, tmp_path)


def test_a_strangers_guesses_from_four_addresses_do_not_lock_the_owner_out(app: FastAPI) -> None:
    with TestClient(app, client=("192.0.2.10", 50000)) as owner:
        sign_up(owner, "olivia", PASSWORD)  # the owner's browser, at home
        owner.post("/logout", data={"csrf_token": csrf_of(owner)})
    guesses = []
    for n in range(4):  # 30 wrong passwords for olivia, spread so that no address reaches its own limit
        with TestClient(app, client=(f"203.0.113.{n + 1}", 50000)) as stranger:
            guesses += [log_in(stranger, "olivia", f"guess number {i}") for i in range(8 if n < 2 else 7)]
    assert guesses == [400] * 30
    with TestClient(app, client=("203.0.113.99", 50000)) as fifth:
        assert log_in(fifth, "olivia", "guess number 31") == 429  # the account's limit for strangers
    with TestClient(app, client=("198.51.100.20", 50000), cookies=dict(owner.cookies)) as travelling_owner:
        assert log_in(travelling_owner, "olivia", PASSWORD) == 303  # her browser, on a new network
        assert travelling_owner.get("/account", follow_redirects=False).status_code == 200


def test_the_owners_browser_has_a_limit_of_its_own(app: FastAPI) -> None:
    app.state.limiter.limits["login_device"] = Limit(3, 3600)
    with TestClient(app) as owner:
        sign_up(owner, "oscar", PASSWORD)
        owner.post("/logout", data={"csrf_token": csrf_of(owner)})
        assert [log_in(owner, "oscar", "wrong") for _ in range(4)] == [400, 400, 400, 429]
        with TestClient(app, client=("203.0.113.7", 50000)) as stranger:  # strangers' allowance is apart
            assert log_in(stranger, "oscar", "wrong") == 400


def test_two_apps_over_one_database_count_against_one_limit(db: Database, tmp_path: Path) -> None:
    """Two apps stand for two workers or nodes: 10 log-ins per address, not 10 each."""
    first, second = test_app(db, tmp_path), test_app(db, tmp_path)
    with TestClient(first) as a, TestClient(second) as b:
        codes = [log_in(a if i % 2 else b, "nobody", "wrong") for i in range(14)]
    assert codes == [400] * 10 + [429] * 4


def test_concurrent_hits_never_let_more_through_than_the_limit(db: Database) -> None:
    limiter = SharedLimiter(db, {"vote": Limit(10, 60)})
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: limiter.hit("vote", "user:1"), range(30)))
    assert sum(r is None for r in results) == 10
    assert all(r is None or r > 0 for r in results)


def test_the_window_slides_and_the_wait_it_names_is_enough(db: Database) -> None:
    clock = Clock()
    limiter = SharedLimiter(db, {"login": Limit(3, 60)}, clock=clock)
    clock.now -= clock.now % 60  # the start of a fixed window, to make the arithmetic readable
    assert [limiter.hit("login", "a") for _ in range(3)] == [None] * 3
    wait = limiter.hit("login", "a")
    assert wait is not None and 59 < wait <= 60 + 20  # next window, while the previous one still weighs
    assert limiter.hit("login", "b") is None  # other keys are other counts
    clock.now += wait - 1
    assert limiter.hit("login", "a") is not None
    clock.now += 1.01
    assert limiter.hit("login", "a") is None
    clock.now += 3600
    assert [limiter.hit("login", "a") for _ in range(3)] == [None] * 3


def test_peek_counts_nothing_and_record_counts_whatever_the_limit(db: Database) -> None:
    limiter = SharedLimiter(db, {"login_account": Limit(2, 3600)})
    assert limiter.peek("login_account", "account:x") is None
    for _ in range(3):
        limiter.record("login_account", "account:x")
    assert limiter.peek("login_account", "account:x") is not None
    assert limiter.peek("login_account", "account:y") is None


def test_every_default_bucket_fits_its_column() -> None:
    assert all(len(bucket) <= 32 for bucket in DEFAULT_LIMITS)

"""Several `paperfeed serve` processes ("nodes") on loopback ports over one real PostgreSQL: what a lab or a
company running paperfeed behind a load balancer relies on. Plus the deploy step (`paperfeed migrate` from
many nodes at once), a node killed with SIGKILL under load, and a clean SIGTERM mid-embedding."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.services.search import pending_count
from paperfeed.store import Database
from paperfeed.store.db import head_revision
from paperfeed.store.models import PaperRow, VoteRow
from paperfeed.web.app import create_app
from tests.support import pg
from tests.support.live_server import add_paper, free_port, load_sample

PAPERFEED = str(Path(sys.executable).with_name("paperfeed"))
PASSWORD = "a long enough password"
DAY = date(2026, 7, 1)


@pytest.fixture
def pg_url(pg_server: pg.PgServer) -> str:
    """A fresh, empty database on the test server (not migrated: that is the deploy's job here)."""
    name = f"n_{os.urandom(6).hex()}"
    admin = sa.create_engine(pg_server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return pg_server.url(name)


def node_env(home: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PAPERFEED_HOME": str(home), "OPENBLAS_NUM_THREADS": "1", **extra}
    for inherited in (
        "PAPERFEED_SECRET_KEY",
        "PAPERFEED_FORWARDED_ALLOW_IPS",
        "PROMETHEUS_MULTIPROC_DIR",
        "PAPERFEED_DATABASE_URL",
    ):
        if inherited not in extra:
            env.pop(inherited, None)
    if database_url:
        env["PAPERFEED_DATABASE_URL"] = database_url
    return env


@contextmanager
def node(
    home: Path, database_url: str | None, *args: str, **env: str
) -> Iterator[tuple[str, subprocess.Popen]]:
    """`paperfeed serve` on a free loopback port, until it answers /healthz; stopped with SIGTERM after."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (home / "serve.log").open("wb")
    process = subprocess.Popen(
        [PAPERFEED, "serve", "--port", str(port), *args],
        env=node_env(home, database_url, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, home / "serve.log")
        yield base, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=90)
        log.close()


def wait_until_up(base: str, process: subprocess.Popen, log: Path, timeout: float = 90) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout and process.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not come up:\n{log.read_text()}")


def csrf(client: httpx.Client, url: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]*)"', client.get(url).text)  # "" anonymous
    assert match, url
    return match.group(1)


def migrate(home: Path, database_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [PAPERFEED, "migrate"],
        env=node_env(home, database_url),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_deploy_serve_waits_for_migrate_and_four_concurrent_migrates_all_succeed(
    pg_url: str, tmp_path: Path
) -> None:
    refused = subprocess.run(
        [PAPERFEED, "serve", "--port", str(free_port())],
        env=node_env(tmp_path, pg_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 1 and "run `paperfeed migrate` first" in refused.stdout + refused.stderr
    runs = [migrate(tmp_path / f"node{i}", pg_url) for i in range(4)]  # four nodes deploying at once
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    assert sum("nothing to do" in output for output in outputs) == 3
    db = Database(pg_url)
    try:
        assert db.schema_is_current() and db.schema_revision() == head_revision()
    finally:
        db.dispose()


def test_two_nodes_share_sessions_rate_limits_and_metrics_and_trust_only_named_proxies(
    pg_url: str, tmp_path: Path
) -> None:
    assert migrate(tmp_path, pg_url).wait(timeout=300) == 0
    db = Database(pg_url)
    add_paper(db, "2607.00001", "Diffusion models for weather", DAY)
    add_paper(db, "2607.00002", "Sparse attention revisited", DAY)
    json = {"Accept": "application/json"}
    with (
        node(tmp_path / "a", pg_url, "--workers", "2", "--embed-every", "0") as (a, _),
        node(tmp_path / "b", pg_url, "--embed-every", "0", "--forwarded-allow-ips", "127.0.0.1") as (b, _),
        httpx.Client(timeout=30) as browser,
        httpx.Client(timeout=30) as thief,
    ):
        # Sign up on A, vote on B with the same cookie and CSRF token: one key, one session store.
        signed_up = browser.post(
            f"{a}/signup",
            data={"username": "alice", "password": PASSWORD, "csrf_token": csrf(browser, f"{a}/signup")},
        )
        assert signed_up.status_code == 303
        token = csrf(browser, f"{a}/")
        voted = browser.post(f"{b}/papers/2607.00001/upvote", headers={**json, "X-CSRF-Token": token})
        assert voted.json() == {"paper": "2607.00001", "upvotes": 1, "voted": True}
        assert browser.get(f"{b}/account").status_code == 200

        # Log out on A: a copy of the cookie taken before opens nothing on B.
        thief.cookies.update(browser.cookies)
        assert browser.post(f"{a}/logout", data={"csrf_token": token}).status_code == 303
        assert thief.get(f"{b}/account").status_code == 303
        assert thief.post(
            f"{b}/papers/2607.00002/upvote", headers={**json, "X-CSRF-Token": token}
        ).status_code in (401, 403)

        # 30 failed log-ins spread over both nodes are limited as one; the forged X-Forwarded-For sent
        # to A comes from a peer A does not trust (no proxy configured), so A ignores it.
        codes = []
        for i in range(30):
            on_a = i % 2 == 0
            with httpx.Client(timeout=30) as guesser:
                form = {
                    "username": "alice",
                    "password": f"guess {i}",
                    "csrf_token": csrf(guesser, f"{a if on_a else b}/login"),
                }
                forged = {"X-Forwarded-For": f"198.51.100.{i}"} if on_a else {}
                codes.append(guesser.post(f"{a if on_a else b}/login", data=form, headers=forged).status_code)
        assert codes == [400] * 10 + [429] * 20
        # B was told to trust a proxy on 127.0.0.1: there the forwarded address counts, a fresh one.
        with httpx.Client(timeout=30) as proxied:
            form = {"username": "alice", "password": "guess", "csrf_token": csrf(proxied, f"{b}/login")}
            assert (
                proxied.post(f"{b}/login", data=form, headers={"X-Forwarded-For": "203.0.113.50"}).status_code
                == 400
            )

        # A's two workers: every scrape counts the requests of both, so the counter never goes back.
        seen = []
        for _ in range(6):
            for _ in range(5):
                httpx.get(f"{a}/healthz")
            text = httpx.get(f"{a}/metrics").text
            seen.append(
                sum(
                    float(v)
                    for v in re.findall(
                        r'paperfeed_http_requests_total\{[^}]*route="/healthz"[^}]*\} ([0-9.e+]+)', text
                    )
                )
            )
        assert seen == sorted(seen) and seen[-1] >= 30
    db.dispose()


def test_killing_a_node_under_load_loses_no_committed_vote(pg_url: str, tmp_path: Path) -> None:
    assert migrate(tmp_path, pg_url).wait(timeout=300) == 0
    db = Database(pg_url)
    papers = [f"2607.{n:05d}" for n in range(1, 41)]
    for paper in papers:
        add_paper(db, paper, f"Paper {paper}", DAY)
    acknowledged: list[str] = []
    with (
        node(tmp_path / "c", pg_url, "--embed-every", "0") as (c, process),
        httpx.Client(timeout=30) as reader,
    ):
        reader.post(
            f"{c}/signup",
            data={"username": "voter", "password": PASSWORD, "csrf_token": csrf(reader, f"{c}/signup")},
        )
        headers = {"Accept": "application/json", "X-CSRF-Token": csrf(reader, f"{c}/")}
        cookies = dict(reader.cookies)

        def vote(paper: str) -> None:
            try:
                with httpx.Client(timeout=30, cookies=cookies) as client:
                    if client.post(f"{c}/papers/{paper}/upvote", headers=headers).status_code == 200:
                        acknowledged.append(paper)
            except httpx.TransportError:
                pass  # the node died under this request: not acknowledged, so not promised

        threads = [threading.Thread(target=vote, args=(paper,)) for paper in papers]
        for thread in threads:
            thread.start()
            time.sleep(0.02)
            if len(acknowledged) >= 10 and process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
        for thread in threads:
            thread.join(timeout=60)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert 10 <= len(acknowledged) < len(papers)
    with db.sessions() as session:
        voted = set(session.scalars(sa.select(VoteRow.paper_id)))
        counts = {row.id: row.upvotes for row in session.execute(sa.select(PaperRow.id, PaperRow.upvotes))}
    assert set(acknowledged) <= voted  # every acknowledged vote survived
    assert all(counts[paper] == (paper in voted) for paper in papers)  # and counts match the votes
    db.dispose()


def test_workers_start_in_seconds_with_a_backlog_and_sigterm_stops_embedding_between_batches(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'paperfeed.sqlite3'}")
    db.migrate()
    load_sample(db, papers=400)  # no vectors: 400 papers wait for the embedder
    backlog = pending_count(db)
    assert backlog == 400
    log = tmp_path / "serve.log"
    with node(tmp_path, None, "--workers", "2", "--embed-every", "1") as (base, process):
        deadline = time.monotonic() + 240
        while pending_count(db) == backlog and time.monotonic() < deadline:
            time.sleep(0.5)  # until the first batch is committed: embedding is under way
        assert pending_count(db) < backlog
        assert httpx.get(f"{base}/readyz", timeout=10).json()["status"] == "ready"
        process.terminate()
        assert process.wait(timeout=180) in (0, -signal.SIGTERM)  # stopped by itself, not killed
    text = log.read_text()
    assert "died" not in text and "not ready in time" not in text  # no worker was killed at start-up
    assert "terminate called" not in text and "Aborted" not in text and "Traceback" not in text
    assert 0 < pending_count(db) < backlog or pending_count(db) == 0
    db.dispose()


class Outage:
    """A TCP relay between the app and PostgreSQL that can be cut (the database "goes away") and restored."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.up = threading.Event()
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener = listener
        self.up.set()
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        self.up.clear()
        assert self.listener is not None
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread (close alone would not)
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self.up.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def test_while_the_database_is_away_pages_answer_a_friendly_503_and_the_log_says_so_once(
    pg_url: str, pg_server: pg.PgServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = Database(pg_url)
    db.migrate()
    add_paper(db, "2607.00001", "Diffusion models for weather", DAY)
    db.dispose()
    outage = Outage(pg_server.port)
    outage.start()
    url = db.engine.url.set(port=outage.port).render_as_string(hide_password=False)  # through the relay
    relayed = Database(url)
    app = create_app(Settings(home=tmp_path), relayed)  # no key configured: it comes from the database
    with TestClient(app) as browser:
        assert browser.get("/").status_code == 200
        outage.cut()
        with caplog.at_level(logging.ERROR, logger="paperfeed.web"):
            pages = [browser.get(path) for path in ("/", "/papers/2607.00001", "/trending", "/") * 5]
            api = browser.get("/api/daily_papers")
            health, ready = browser.get("/healthz"), browser.get("/readyz")
        assert {page.status_code for page in pages} == {503}
        assert "Back in a moment" in pages[0].text and pages[0].headers["retry-after"]
        assert api.status_code == 503 and "database is unavailable" in api.json()["detail"]
        assert health.status_code == 200 and ready.status_code == 503
        for text in (health.text, ready.text, api.text, pages[0].text):
            assert str(outage.port) not in text and "127.0.0.1" not in text and "psycopg" not in text
        outage_lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
        assert len(outage_lines) == 1  # 22 failed requests, one line
        outage.start()  # the database is back: the pool reconnects by itself
        deadline = time.monotonic() + 30
        while browser.get("/").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert browser.get("/").status_code == 200 and browser.get("/readyz").status_code == 200
    relayed.dispose()

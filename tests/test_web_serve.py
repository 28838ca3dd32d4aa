"""`paperfeed serve` starts the real server; the background embedder gives new papers vectors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

from paperfeed.services.search import embed_pending, pending_count
from paperfeed.store import Database
from paperfeed.web.background import PeriodicEmbedder
from tests.support.live_server import add_paper, free_port


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"server did not answer: {process.stderr.read().decode() if process.stderr else ''}")


def test_serve_answers_health_pages_and_api(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PAPERFEED_HOME": str(tmp_path), "OPENBLAS_NUM_THREADS": "1"}
    command = [
        str(Path(sys.executable).parent / "paperfeed"),
        "serve",
        "--port",
        str(port),
        "--embed-every",
        "0",
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", server)
        assert health.json() == {"status": "ok", "database": "sqlite"}
        assert "Daily Papers" in httpx.get(f"http://127.0.0.1:{port}/").text
        assert httpx.get(f"http://127.0.0.1:{port}/api/daily_papers").json() == []
    finally:
        server.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells who stopped it
        assert server.wait(timeout=30) in (0, -signal.SIGTERM)
    assert (tmp_path / "paperfeed.sqlite3").exists()
    assert not (tmp_path / "secret.key").exists()  # the signing key is in the database, one for every node


def test_background_embedder_embeds_new_papers(sqlite_db: Database) -> None:
    add_paper(sqlite_db, "2607.00001", "Diffusion models for weather", date(2026, 7, 1))
    add_paper(sqlite_db, "2607.00002", "Sparse attention revisited", date(2026, 7, 1))
    assert pending_count(sqlite_db) == 2
    embedder = PeriodicEmbedder(sqlite_db, embed_pending, interval=0.2)
    embedder.start()
    try:
        deadline = time.monotonic() + 120
        while pending_count(sqlite_db) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pending_count(sqlite_db) == 0
    finally:
        embedder.stop()


def test_the_app_builds_the_search_index_at_start_up_not_on_the_first_search(sqlite_db: Database) -> None:
    import time

    from starlette.testclient import TestClient

    from paperfeed.embed import current_model_key
    from paperfeed.search.vector_index import forget_indexes, index_for
    from paperfeed.services.sample import load_sample
    from paperfeed.web.app import create_app

    load_sample(sqlite_db)
    forget_indexes()
    index = index_for(str(sqlite_db.engine.url), current_model_key())
    assert len(index) == 0
    with TestClient(create_app(db=sqlite_db)):
        deadline = time.monotonic() + 120  # a bound against hanging, not a speed claim
        while len(index) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(index) == 3467

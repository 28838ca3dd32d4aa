"""The real app for tests: a database loaded with real papers of the bundled sample, served by uvicorn.

``load_sample`` takes papers of the sample's last listing days (ending 2026-07-01, with a weekend gap),
so the pages have days to navigate. ``serve`` runs uvicorn in a thread on 127.0.0.1 and a free port.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from starlette.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.domain.paper import Paper
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.records import Record
from paperfeed.services.files import import_records
from paperfeed.store import Database
from paperfeed.store.feed import upsert_feed_entries
from paperfeed.store.papers import upsert_papers
from paperfeed.web.app import create_app

SAMPLE = Path(str(resources.files("paperfeed") / "data" / "sample-papers.jsonl.gz"))
# The sample's last day at noon: its papers are "today's", dates print as "Jun 30".
SAMPLE_NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def load_sample(db: Database, papers: int = 300, days: int = 4) -> list[Record]:
    """The first ``papers // days`` papers of each of the sample's last ``days`` listing days."""
    records = [r for r in read_jsonl(SAMPLE) if isinstance(r, Record) and r.feed_entry is not None]
    last_days = sorted({r.feed_entry.featured_on for r in records})[-days:]  # type: ignore[union-attr]
    per_day = papers // days
    chosen: list[Record] = []
    for day in last_days:
        chosen += [r for r in records if r.feed_entry.featured_on == day][:per_day]  # type: ignore[union-attr]
    import_records(db, chosen)
    return chosen


def test_app(db: Database, tmp_path: Path, now: datetime = SAMPLE_NOW) -> FastAPI:
    settings = Settings(home=tmp_path, secret_key="test-secret-key-not-for-production")
    return create_app(settings, db, clock=lambda: now)


test_app.__test__ = False  # type: ignore[attr-defined]  # a factory, not a test


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` with uvicorn in a thread; yields its base URL and stops it afterwards."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- Small factories for HTTP-level tests -------------------------------------------------------------


def add_paper(
    db: Database,
    paper_id: str,
    title: str,
    day: date,
    *,
    external_upvotes: int = 0,
    submitted_by: str | None = None,
    **fields: object,
) -> Paper:
    """A paper featured on ``day`` (published that day unless given)."""
    fields.setdefault("published", day)
    fields.setdefault("authors", ("Ada Lovelace", "Alan Turing"))
    fields.setdefault("abstract", f"An abstract about {title.lower()}.")
    paper = Paper(paper_id, title, **fields)  # type: ignore[arg-type]
    with db.session() as session:
        upsert_papers(session, [paper])
        upsert_feed_entries(
            session,
            [
                FeedEntry(
                    paper_id,
                    day,
                    FeedSource.HF if external_upvotes else FeedSource.ARXIV,
                    submitted_by,
                    external_upvotes,
                )
            ],
        )
    return paper


def csrf_of(client: TestClient, path: str = "/login") -> str:
    """The session's CSRF token, as a page hands it to the browser ("" for a visitor without a session:
    anonymous pages carry none, so that they can be cached)."""
    page = client.get(path)
    match = re.search(r'<meta name="csrf-token" content="([^"]*)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_up(client: TestClient, username: str, password: str = "a long enough password") -> str:
    """Sign ``username`` up in ``client``'s session; returns the session's (new) CSRF token."""
    response = client.post(
        "/signup",
        data={"username": username, "password": password, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return csrf_of(client, "/")

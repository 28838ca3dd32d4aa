"""Screenshots of the topic map and the trends page for the README: the bundled sample (3,467 papers and
their vectors) in a fresh SQLite database, the map built on all of it, the site served on a free port and
photographed by Debian's chromium through Playwright.

    PYTHONPATH=src .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--query "speech"]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from playwright.sync_api import sync_playwright

from paperfeed.config import Settings
from paperfeed.rank.topic_map import MapParams
from paperfeed.services.sample import load_sample
from paperfeed.services.topic_map import build_map
from paperfeed.store import Database
from paperfeed.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # the sample's last day: its papers are "today's"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--query", default="speech recognition")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="paperfeed-shots-"))
    try:
        db = Database(f"sqlite:///{home / 'paperfeed.sqlite3'}")
        db.migrate()
        load_sample(db)
        print(build_map(db, MapParams(sample_size=5000)))
        app = create_app(Settings(home=home, secret_key="screenshots"), db, clock=lambda: SAMPLE_NOW)
        with _served(app) as url:
            _shoot(url, args.out, args.query)
        db.dispose()
    finally:
        shutil.rmtree(home, ignore_errors=True)


class _served:
    def __init__(self, app: object) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, port=self.port, log_level="warning", lifespan="off"))

    def __enter__(self) -> str:
        threading.Thread(target=self.server.run, daemon=True).start()
        while not self.server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True


def _shoot(url: str, out: Path, query: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{url}/map?q={query}")
        page.wait_for_selector("#map[data-ready=true]")
        page.screenshot(path=str(out / "map.png"))
        page.goto(f"{url}/trends")
        page.screenshot(path=str(out / "trends.png"), full_page=True)
        browser.close()
    print(f"saved {out / 'map.png'} and {out / 'trends.png'}")


if __name__ == "__main__":
    main()

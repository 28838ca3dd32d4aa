"""What one day's `paperfeed sync` costs: requests to arXiv, seconds, embedding time, for a day of 300 papers
and one of 3,000, replayed from a local server in the arXiv API's real Atom format with arXiv's own pacing
(one request every 3 s).

The papers are real (the shared dump: ``--data``, default ``../shared/data/arxiv-daily-cs-2025-03-to-2026-07
.jsonl.gz``; see shared/README.md); a "day" of N is the N papers listed last before 2026-07-01, put on one
submission day in one category, served 100 to a page as the API does.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/sync_cost.py [--sizes 300,3000] [--interval 3]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import gzip  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # the recorded-response server and Atom writer live with the tests

from tests.support.atom import atom_entry, atom_feed  # noqa: E402
from tests.support.replay import ATOM, ReplayServer, Reply  # noqa: E402

from paperfeed.config import Settings  # noqa: E402
from paperfeed.ingest.arxiv_api import search_query  # noqa: E402
from paperfeed.services.search import embed_pending  # noqa: E402
from paperfeed.services.sync import run_sync  # noqa: E402
from paperfeed.store import Database  # noqa: E402

DEFAULT_DATA = ROOT.parent.parent / "shared" / "data" / "arxiv-daily-cs-2025-03-to-2026-07.jsonl.gz"
DAY = date(2026, 7, 1)
PAGE = 100


def papers(path: Path, count: int) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    rows.sort(key=lambda r: r["listed"], reverse=True)
    return rows[:count]


def measure(data: Path, size: int, interval: float) -> dict:
    chosen = papers(data, size)
    published = datetime.combine(DAY, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    query = search_query("cs.LG", DAY, DAY)
    with ReplayServer() as server, tempfile.TemporaryDirectory() as home:
        for start in range(0, size, PAGE):
            entries = [atom_entry(p, published) for p in chosen[start : start + PAGE]]
            body = atom_feed(f"search_query={query}", entries, total=size, start=start, per_page=PAGE)
            server.script("/api/query", Reply(200, body.encode(), ATOM), search_query=query, start=str(start))
        settings = Settings(
            _env_file=None,
            home=Path(home),
            secret_key="bench",  # type: ignore[call-arg]
            request_interval_s=interval,
            arxiv_api_url=server.url("/api/query"),
            sync_categories="cs.LG",
        )
        db = Database(settings.resolved_database_url)
        db.migrate()
        started = time.perf_counter()
        report = run_sync(db, settings, since=DAY, today=DAY + timedelta(days=1), embed=False)
        harvest_s = time.perf_counter() - started
        started = time.perf_counter()
        embedded = embed_pending(db)  # what the sync's next step does (timed apart from the harvest)
        embed_s = time.perf_counter() - started
        db.dispose()
        requests = len(server.requests)
        return {
            "papers": size,
            "stored": report.papers.new,
            "requests": requests,
            "harvest_s": round(harvest_s, 1),
            "politeness_s": round(interval * (requests - 1), 1),
            "embedded": embedded,
            "embed_s": round(embed_s, 1),
            "embed_per_s": round(embedded / embed_s, 1) if embed_s else None,
            "total_s": round(harvest_s + embed_s, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data = Path(os.environ.get("PAPERFEED_BENCH_DATA", DEFAULT_DATA))
    parser.add_argument("--data", type=Path, default=data, help="the arXiv daily JSON lines (shared/data)")
    parser.add_argument("--sizes", default="300,3000")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between requests (arXiv's: 3)")
    args = parser.parse_args()
    rows = [measure(args.data, int(n), args.interval) for n in args.sizes.split(",")]
    header = list(rows[0])
    table = "\n".join(
        ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        + ["| " + " | ".join(str(r[k]) for k in header) + " |" for r in rows]
    )
    text = (
        f"One day's `paperfeed sync` (one category, pages of {PAGE}, {args.interval:g} s between "
        f"requests, replayed locally; embedding on {os.cpu_count()} cores):\n\n{table}\n"
    )
    print(text)
    (ROOT / "results").mkdir(exist_ok=True)
    (ROOT / "results" / "sync_cost.json").write_text(json.dumps(rows, indent=2) + "\n")
    (ROOT / "results" / "sync_cost.md").write_text(text)


if __name__ == "__main__":
    main()

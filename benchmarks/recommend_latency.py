"""For you through the whole service, as a page sees it: signals read from the database, the listing's
vectors loaded, the model fitted, the page cut — on the bundled sample (SQLite), for a reader with a library.

Measures: a day's For-you page cold (first view) and warm (same signals: the per-process cache), the next
page right after a 👍 (the question "does the next page show it?"), and a month's listing. The ranking
itself is timed in benchmarks/recommend_quality.py; this adds the database and the page.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/recommend_latency.py
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, date, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from paperfeed.services import accounts, feed, for_you, interests  # noqa: E402
from paperfeed.services.library import import_library  # noqa: E402
from paperfeed.services.sample import load_sample  # noqa: E402
from paperfeed.store import Database  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DAY, MONTH = date(2026, 6, 30), date(2026, 6, 1)
NOW = datetime(2026, 7, 1, 12, tzinfo=UTC)
LIBRARY_SIZE = 60
REPEATS = 7


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="paperfeed-bench-"))
    db = Database(f"sqlite:///{home / 'paperfeed.sqlite3'}")
    db.migrate()
    load_sample(db)
    reader = accounts.sign_up(db, "bench", "a long enough password for a benchmark")
    day = feed.period_of("day", DAY)
    listing = feed.feed_page(db, day, sort="trending", now=NOW, page_size=1000)
    earlier = feed.feed_page(
        db, feed.period_of("day", date(2026, 6, 16)), sort="trending", now=NOW, page_size=1000
    )
    ids = "\n".join(c.paper.id for c in earlier.cards[:LIBRARY_SIZE])
    import_library(db, reader.id, ids.encode())

    def page(period: feed.Period) -> float:
        started = time.perf_counter()
        feed.feed_page(db, period, sort="for_you", reader=reader.id, now=NOW)
        return (time.perf_counter() - started) * 1000

    cold = page(day)
    warm = [page(day) for _ in range(REPEATS)]
    after_rating = []
    for card in listing.cards[:REPEATS]:
        interests.rate(db, reader.id, card.paper.id, interests.LIKE)
        after_rating.append(page(day))
    for_you._cache.clear()
    month_cold = page(feed.period_of("month", MONTH))
    month_warm = page(feed.period_of("month", MONTH))
    month_size = feed.feed_page(db, feed.period_of("month", MONTH), now=NOW).total
    figures = {
        "listing_day": str(DAY),
        "day_papers": listing.total,
        "month_papers": month_size,
        "library_entries": LIBRARY_SIZE,
        "day_cold_ms": round(cold, 1),
        "day_warm_median_ms": round(statistics.median(warm), 2),
        "next_page_after_a_rating_median_ms": round(statistics.median(after_rating), 1),
        "next_page_after_a_rating_max_ms": round(max(after_rating), 1),
        "month_cold_ms": round(month_cold, 1),
        "month_warm_ms": round(month_warm, 2),
        "cpus": os.cpu_count(),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "recommend_latency.json").write_text(json.dumps(figures, indent=2) + "\n")
    rows = [f"| {k} | {v} |" for k, v in figures.items() if k.endswith("ms")]
    table = "\n".join(["| what | ms |", "|---|---|", *rows])
    text = (
        f"For-you page through the service, SQLite, bundled sample; a reader with {LIBRARY_SIZE} library "
        f"entries; a day of {listing.total} papers, a month of {month_size}.\n\n{table}\n"
    )
    (RESULTS / "recommend_latency.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()

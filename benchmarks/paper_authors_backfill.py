"""What migration 0013 costs on a filled database: the ``paper_authors`` backfill from ``papers.authors``,
and what an author page's queries cost afterwards (index lookups on ``author_key``).

Papers come from a paperfeed JSON-lines dump (the shared 74,728-paper one, or any ``paperfeed export``):
they are ingested at the newest schema, the database is taken back to 0012 (dropping the table) and
upgraded again, which times the backfill alone.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/paper_authors_backfill.py \
        --data /work/shared/data/arxiv-daily-cs-2025-03-to-2026-07.jsonl.gz --papers 74728
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.records import Record
from paperfeed.services import authors
from paperfeed.services.files import import_records
from paperfeed.store import Database
from paperfeed.store.db import alembic_config
from paperfeed.store.models import PaperAuthorRow

RESULTS = Path(__file__).resolve().parent / "results" / "paper_authors_backfill.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="paperfeed JSON lines (plain or .gz)")
    parser.add_argument("--papers", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        db = Database(f"sqlite:///{home}/paperfeed.sqlite3")
        db.migrate()
        records = [r for r in itertools.islice(read_jsonl(args.data), args.papers) if isinstance(r, Record)]
        start = time.perf_counter()
        import_records(db, records)
        ingest_s = time.perf_counter() - start
        config = alembic_config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0012_submission_approval")
        start = time.perf_counter()
        db.migrate()
        backfill_s = time.perf_counter() - start
        with db.sessions() as session:
            rows = session.scalar(sa.select(sa.func.count()).select_from(PaperAuthorRow)) or 0
            busiest = session.execute(
                sa.select(PaperAuthorRow.author_key, sa.func.count())
                .group_by(PaperAuthorRow.author_key)
                .order_by(sa.func.count().desc())
                .limit(1)
            ).one()
        pages = []
        for _ in range(20):
            start = time.perf_counter()
            page = authors.author_page(db, busiest[0])
            pages.append((time.perf_counter() - start) * 1000)
        more = []
        for record in records[:50]:
            start = time.perf_counter()
            authors.more_by_authors(db, record.paper)
            more.append((time.perf_counter() - start) * 1000)
        db.dispose()
    result = {
        "papers": len(records),
        "paper_authors_rows": rows,
        "ingest_s": round(ingest_s, 1),
        "backfill_s": round(backfill_s, 2),
        "busiest_author_papers": busiest[1],
        "author_page_median_ms": round(statistics.median(pages), 1),
        "more_by_authors_median_ms": round(statistics.median(more), 1),
        "author_page_total": page.total,
        "load_average_1min": round(os.getloadavg()[0], 1),
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Importing and exporting local files (JSON lines, snapshots): all-or-nothing per file.

A local file import runs in one transaction: a file that turns out to be malformed half way (a truncated
archive, say) leaves the database exactly as it was, while bad *records* are only rejected and reported.
Re-running an import is cheap because unchanged records are recognised by their content hash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa

from paperfeed.ingest.jsonl import write_jsonl_line
from paperfeed.ingest.pipeline import IngestSummary, run_ingest
from paperfeed.ingest.records import Record, Rejected
from paperfeed.store import Database
from paperfeed.store.feed import row_to_entry
from paperfeed.store.models import FeedEntryRow
from paperfeed.store.papers import iter_papers


def import_records(
    db: Database,
    items: Iterable[Record | Rejected],
    *,
    on_batch: Callable[[IngestSummary], None] | None = None,
) -> IngestSummary:
    """Store ``items`` in a single transaction (see module docstring)."""
    with db.session() as session:
        return run_ingest(session, items, on_batch=on_batch)


def export_jsonl(db: Database, path: Path, *, on_paper: Callable[[], None] | None = None) -> int:
    """Write every paper with its feed entries to ``path`` (gzip if it ends in .gz); returns the count."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    count = 0
    tmp = path.with_name(path.name + ".part")
    with db.sessions() as session, opener(tmp, "wt", encoding="utf-8") as handle:
        for paper in iter_papers(session):
            rows = session.scalars(sa.select(FeedEntryRow).where(FeedEntryRow.paper_id == paper.id))
            write_jsonl_line(handle, paper, [row_to_entry(r) for r in rows])
            count += 1
            if on_paper is not None:
                on_paper()
    tmp.replace(path)  # a half-written export never takes the place of a good one
    return count

"""`paperfeed ingest jsonl`: paperfeed's own JSON-lines format (``paperfeed export`` writes it)."""

from __future__ import annotations

from pathlib import Path

import typer

from paperfeed.cli.common import open_db, print_summary, progress_bar, user_errors
from paperfeed.ingest.files import file_size
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.services.files import import_records


def ingest_jsonl(path: Path = typer.Argument(..., help="A .jsonl or .jsonl.gz file")) -> None:
    """Import papers (and their listing days) from paperfeed JSON lines, e.g. the shared arXiv dump."""
    db = open_db()
    with user_errors(), progress_bar(f"importing {path.name}", file_size(path), in_bytes=True) as bar:
        records = read_jsonl(path, on_bytes=lambda pos: bar.update(bar.task, completed=pos))
        summary = import_records(db, records)
    print_summary(summary)

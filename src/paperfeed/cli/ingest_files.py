"""`paperfeed ingest jsonl`, `paperfeed export`: paperfeed's own JSON-lines format (also the backup)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from paperfeed.cli.common import console, open_db, print_summary, progress_bar, user_errors
from paperfeed.ingest.files import file_size
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.services.files import export_jsonl, import_records
from paperfeed.store.papers import count_papers


def ingest_jsonl(path: Path = typer.Argument(..., help="A .jsonl or .jsonl.gz file")) -> None:
    """Import papers (and their listing days) from paperfeed JSON lines, e.g. the shared arXiv dump."""
    db = open_db()
    with user_errors(), progress_bar(f"importing {path.name}", file_size(path), in_bytes=True) as bar:
        records = read_jsonl(path, on_bytes=lambda pos: bar.update(bar.task, completed=pos))
        summary = import_records(db, records)
    print_summary(summary)


def export(path: Path = typer.Argument(..., help="Output .jsonl or .jsonl.gz file")) -> None:
    """Export every paper with its feed entries; importing the file into an empty database restores them."""
    db = open_db()
    with db.sessions() as session:
        total = count_papers(session)
    with progress_bar(f"exporting to {path.name}", total) as bar:
        count = export_jsonl(db, path, on_paper=lambda: bar.advance(bar.task))
    console.print(f"exported {count} papers to {escape(str(path))}")

"""`paperfeed export`: every paper in paperfeed's own JSON-lines format, for other tools or another instance.

Not a backup: accounts, votes, comments, collections and subscriptions are not in it (`paperfeed backup`)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from paperfeed.cli.common import console, open_db, progress_bar
from paperfeed.services.files import export_jsonl
from paperfeed.store.papers import count_papers


def export(path: Path = typer.Argument(..., help="Output .jsonl or .jsonl.gz file")) -> None:
    """Export every paper with its listing days as JSON lines (`ingest jsonl` reads it back). Papers only: for
    a backup of everything (accounts, votes, comments, subscriptions …) use `paperfeed backup`."""
    db = open_db()
    with db.sessions() as session:
        total = count_papers(session)
    with progress_bar(f"exporting to {path.name}", total) as bar:
        count = export_jsonl(db, path, on_paper=lambda: bar.advance(bar.task))
    console.print(f"exported {count} papers to {escape(str(path))}")

"""`paperfeed backup` / `paperfeed restore`: the whole instance in one file, and into a new database of
either backend (SQLite → PostgreSQL is how an instance grows up). The format and its guarantees are in
:mod:`paperfeed.services.backup`."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape

from paperfeed.cli.common import console, open_db, progress_bar, user_errors
from paperfeed.services.backup import backup as backup_database
from paperfeed.services.backup import read_header
from paperfeed.services.backup import restore as restore_database


def backup(
    path: Path = typer.Argument(..., help="Output file (gzip'd JSON lines; .jsonl.gz by convention)"),
    vectors: bool = typer.Option(
        True, "--vectors/--no-vectors", help="Include the paper vectors (the bulk of the file; else re-embed)"
    ),
) -> None:
    """Back up everything: papers, listing days, accounts, votes, comments, collections, subscriptions,
    outbox, reader signals, the signing key and (by default) the vectors; `paperfeed restore` reads it
    back."""
    db = open_db()
    started = time.perf_counter()
    with user_errors(), progress_bar(f"backing up to {path.name}", None) as bar:
        report = backup_database(
            db, path, vectors=vectors, on_rows=lambda n: bar.update(bar.task, completed=n)
        )
    console.print(
        f"backed up {report.rows:,} rows of {len(report.tables)} tables to {escape(str(path))} "
        f"({report.bytes / 1e6:.1f} MB, {time.perf_counter() - started:.1f} s)"
        + ("" if vectors else "; without vectors")
    )


def restore(path: Path = typer.Argument(..., help="A file written by `paperfeed backup`")) -> None:
    """Restore a backup into a new, empty database (migrated first; a database with rows is refused) of either
    backend, in one transaction: a damaged file leaves the database empty. Log-ins are not restored."""
    with user_errors():
        header = read_header(path)
        db = open_db()
        total = sum(int(t["rows"]) for t in header["tables"])
        started = time.perf_counter()
        with progress_bar(f"restoring {path.name}", total) as bar:
            report = restore_database(db, path, on_rows=lambda n: bar.update(bar.task, completed=n))
    rows_seconds = time.perf_counter() - started - report.index_seconds
    vector_graph = f", vector index {report.indexed_vectors:,} vectors" if report.indexed_vectors else ""
    console.print(
        f"restored {report.rows:,} rows of {len(report.tables)} tables from {escape(str(path))} "
        f"in {rows_seconds:.1f} s; search indexes rebuilt in {report.index_seconds:.1f} s "
        f"(keyword index {report.indexed_papers:,} papers{vector_graph})"
    )
    if not report.vectors:
        console.print("the backup holds no vectors: run `paperfeed reindex` to embed the papers again")
    console.print("not restored (by design): " + ", ".join(sorted(report.skipped)) + "; readers log in again")

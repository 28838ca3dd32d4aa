"""`paperfeed jobs`: the status of long-running work (harvests, imports, embedding), newest first."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from paperfeed.cli.common import open_db
from paperfeed.store.jobs import list_jobs


def jobs(
    limit: int = typer.Option(20, help="How many jobs to show"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Show recent jobs with their status, counts and checkpoint (what a resumed run continues from)."""
    db = open_db()
    with db.sessions() as session:
        states = list_jobs(session, limit=limit)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "kind": j.kind,
                        "key": j.key,
                        "status": j.status,
                        "counts": j.counts,
                        "checkpoint": j.checkpoint,
                        "error": j.error,
                        "started_at": j.started_at.isoformat(),
                        "updated_at": j.updated_at.isoformat(),
                    }
                    for j in states
                ],
                indent=2,
            )
        )
        return
    table = Table(title="jobs")
    for column in ("kind", "key", "status", "counts", "updated"):
        table.add_column(column)
    for j in states:
        counts = ", ".join(f"{k} {v}" for k, v in j.counts.items() if v)
        status = f"[red]{j.status}[/]: {escape(j.error)}" if j.error else j.status
        table.add_row(j.kind, escape(j.key), status, counts, j.updated_at.strftime("%Y-%m-%d %H:%M"))
    Console().print(table)

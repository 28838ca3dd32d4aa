"""`paperfeed stats`: what the database holds, per source, category and month."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from paperfeed.cli.common import open_db
from paperfeed.services.stats import corpus_stats


def stats(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables")) -> None:
    """Counts of papers and feed entries, per source, per category and per month."""
    data = corpus_stats(open_db())
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    from rich.console import Console

    out = Console()
    out.print(
        f"[bold]{data['papers']}[/] papers ({data['withdrawn']} withdrawn), "
        f"{data['feed_entries']} feed entries from {data['first_day']} to {data['last_day']}"
    )
    for title, key in (("source", "sources"), ("primary category", "categories"), ("month", "months")):
        table = Table(title=f"feed entries per {title}" if key != "categories" else "papers per category")
        table.add_column(title)
        table.add_column("count", justify="right")
        rows = list(data[key].items())
        for name, count in rows[:25] if key == "categories" else rows:
            table.add_row(str(name), str(count))
        out.print(table)

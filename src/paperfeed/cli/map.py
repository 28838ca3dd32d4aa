"""`paperfeed map build` / `map place`: the topic map (``/map``), for cron or by hand; `serve` also keeps it
up to date in the background."""

from __future__ import annotations

import typer
from rich.markup import escape

from paperfeed.cli.common import console, open_db, user_errors
from paperfeed.rank.topic_map import MapParams
from paperfeed.services.topic_map import MapReport, build_map, place_new_papers

DEFAULTS = MapParams()
map_app = typer.Typer(no_args_is_help=True, help="The topic map of the corpus (/map).")


@map_app.command("build")
def build(
    sample_size: int = typer.Option(
        DEFAULTS.sample_size, min=5, help="Papers the layout is fitted on; the rest are placed by them."
    ),
    threads: int = typer.Option(DEFAULTS.threads, min=1, help="CPU threads for the layout."),
) -> None:
    """Rebuild the map: lay out a sample, find and label topics, place every other paper."""
    db = open_db()
    with user_errors():
        report = build_map(db, MapParams(sample_size=sample_size, threads=threads))
    _print(report, "built")


@map_app.command("place")
def place() -> None:
    """Place papers embedded since the last build on the existing map (no point moves)."""
    db = open_db()
    with user_errors():
        report = place_new_papers(db)
    _print(report, "placed")


def _print(report: MapReport, what: str) -> None:
    if report.skipped:
        console.print(f"[yellow]nothing done:[/] {escape(report.skipped)}")
        raise typer.Exit(0 if "another process" in report.skipped else 1)
    console.print(
        f"map {what}: {report.placed} papers placed, {report.papers} on the map, "
        f"{report.topics} topics, {report.seconds:.1f} s"
    )

"""What every command needs: the database of the current settings, progress bars, and summaries.

Anything that came from input (ids, titles, file names, error messages quoting a record) is printed through
``rich.markup.escape``: Rich would read ``[/bogus]`` in an id as a closing tag and fail after the import was
already committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from paperfeed.config import get_settings
from paperfeed.ingest.pipeline import IngestSummary
from paperfeed.ingest.records import MalformedSource
from paperfeed.store import Database

console = Console(stderr=True, soft_wrap=True)  # error lines stay whole for grep and logs


def open_db() -> Database:
    """The configured database, migrated to the newest schema."""
    db = Database(get_settings().resolved_database_url)
    db.migrate()
    return db


class ProgressBar(Progress):
    """A Rich ``Progress`` holding the one task ``progress_bar`` adds; ``task`` is that task's id, the
    ``TaskID`` that ``update`` and ``advance`` take."""

    task: TaskID


@contextmanager
def progress_bar(description: str, total: int | None, *, in_bytes: bool = False) -> Iterator[ProgressBar]:
    """A Rich progress bar on stderr (quiet when stderr is not a terminal, e.g. under cron).

    Move it with ``bar.update(bar.task, completed=…)`` or ``bar.advance(bar.task)``."""
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        DownloadColumn() if in_bytes else MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with ProgressBar(*columns, console=console, transient=False, disable=not console.is_terminal) as progress:
        progress.task = progress.add_task(escape(description), total=total)  # file names are not markup
        yield progress


def print_summary(summary: IngestSummary, *, what: str = "papers") -> None:
    """Counts, then the first rejections and notes; their text comes from the input, so it is escaped."""
    console.print(
        f"{what}: [green]{summary.new} new[/], [yellow]{summary.updated} updated[/], "
        f"{summary.unchanged} unchanged, [red]{summary.rejected} rejected[/]; "
        f"feed entries: {summary.feed_new} new, {summary.feed_updated} updated"
    )
    for rejection in summary.rejections[:20]:
        console.print(f"  [red]rejected[/] {escape(str(rejection))}")
    if summary.rejected > 20:
        console.print(f"  … and {summary.rejected - 20} more rejections")
    for note in summary.notes[:20]:
        console.print(f"  [yellow]note[/] {escape(note)}")
    if summary.noted > 20:
        console.print(f"  … and {summary.noted - 20} more records cut to fit")


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn input errors into one clear line and exit status 1, instead of a traceback."""
    try:
        yield
    except (MalformedSource, ValueError) as error:
        console.print(f"[red]error:[/] {escape(str(error))}")
        raise typer.Exit(1) from error
    except OSError as error:
        console.print(
            f"[red]error:[/] {escape(str(error.filename or ''))}: "
            f"{escape((error.strerror or str(error)).lower())}"
        )
        raise typer.Exit(1) from error


def parse_day(value: str, option: str) -> date:
    """A day given on the command line (``--since 2026-11-01``); a bad one is a usage error naming it."""
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise typer.BadParameter(f"{value!r} is not a date like 2026-11-01", param_hint=option) from error

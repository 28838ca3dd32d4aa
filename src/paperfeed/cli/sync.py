"""`paperfeed sync`: the daily round (harvest, Hugging Face, embed, digests) in one command, for cron."""

from __future__ import annotations

import typer
from rich.markup import escape

from paperfeed.cli.common import console, open_db, parse_day, print_summary, progress_bar, user_errors
from paperfeed.config import get_settings
from paperfeed.services.sync import run_sync, sync_status


def sync(
    category: list[str] = typer.Option(
        [], "--category", "-c", help="arXiv category (repeatable; default PAPERFEED_SYNC_CATEGORIES)"
    ),
    since: str | None = typer.Option(
        None, "--since", help="first day, YYYY-MM-DD (default: the day after the last sync)"
    ),
    hugging_face: bool | None = typer.Option(
        None,
        "--hugging-face/--no-hugging-face",
        help="also Hugging Face's daily papers (default: the setting)",
    ),
    embed: bool = typer.Option(True, help="embed new papers and send digests due after harvesting"),
) -> None:
    """Bring the site up to date: every day since the last sync, resumable, one run at a time."""
    settings = get_settings()
    db = open_db()
    with user_errors():
        first = parse_day(since, "--since") if since else None
        with progress_bar("sync", None) as bar:

            def on_step(what: str, done: int, steps: int) -> None:
                bar.update(bar.task, completed=done, total=steps, description=escape(what))

            report = run_sync(
                db,
                settings,
                since=first,
                categories=tuple(category) or None,
                hugging_face=hugging_face,
                embed=embed,
                on_step=on_step,
            )
    if report.skipped:
        console.print(f"[yellow]nothing done:[/] {escape(report.skipped)}")
        return
    days = ", ".join(d.isoformat() for d in report.days) or "none (already up to date)"
    console.print(f"synced {', '.join(report.categories)} for {days} in {report.seconds:.1f} s")
    print_summary(report.papers)
    if report.hugging_face is not None:
        print_summary(report.hugging_face, what="Hugging Face")
    console.print(
        f"embedded {report.embedded} papers and {report.library_embedded} library entries; "
        f"{report.digests_queued} digests queued"
    )
    status = sync_status(db)
    console.print(f"up to date through {status.last_day}")

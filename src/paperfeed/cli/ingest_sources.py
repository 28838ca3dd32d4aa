"""`paperfeed ingest snapshot|arxiv|oai|hf-daily` and `paperfeed submit`: every source but our own JSONL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.markup import escape

from paperfeed.cli.common import console, open_db, parse_day, print_summary, progress_bar, user_errors
from paperfeed.config import get_settings
from paperfeed.ingest.files import file_size
from paperfeed.ingest.snapshot import read_snapshot
from paperfeed.services import submissions
from paperfeed.services.files import import_records
from paperfeed.services.harvest import harvest_arxiv, harvest_oai
from paperfeed.services.hf_daily import import_hf_daily


def ingest_snapshot(
    path: Path = typer.Argument(..., help="arxiv-metadata-oai-snapshot JSON lines (.gz ok)"),
) -> None:
    """Import the Kaggle arXiv metadata snapshot (millions of lines, streamed in constant memory)."""
    db = open_db()
    with user_errors(), progress_bar(f"importing {path.name}", file_size(path), in_bytes=True) as bar:
        records = read_snapshot(path, on_bytes=lambda pos: bar.update(bar.task, completed=pos))
        summary = import_records(db, records)
    print_summary(summary)


def ingest_arxiv(
    category: str = typer.Option(..., "--category", help="arXiv category, e.g. cs.LG"),
    since: str = typer.Option(..., "--since", help="first submission day, YYYY-MM-DD"),
    until: str | None = typer.Option(None, "--until", help="last submission day (default: today)"),
    max_results: int | None = typer.Option(None, "--max", min=1, help="stop after this many papers"),
) -> None:
    """Harvest the arXiv API by category and submission dates (1 request / 3 s; resumable)."""
    db = open_db()
    with user_errors(), progress_bar(f"arXiv {category}", None) as bar:
        summary = harvest_arxiv(
            db,
            category,
            parse_day(since, "--since"),
            parse_day(until, "--until") if until else None,
            max_results=max_results,
            on_page=lambda done, total: bar.update(bar.task, completed=done, total=total),
        )
    print_summary(summary)


def ingest_oai(
    set_spec: str = typer.Option(..., "--set", help="OAI set, e.g. cs or physics:hep-th"),
    from_day: str = typer.Option(..., "--from", help="first metadata-change day, YYYY-MM-DD"),
    until: str | None = typer.Option(None, "--until", help="last metadata-change day"),
) -> None:
    """Harvest arXiv over OAI-PMH; a killed harvest resumes from its saved resumption token."""
    db = open_db()
    with user_errors(), progress_bar(f"OAI-PMH set {set_spec}", None) as bar:
        summary = harvest_oai(
            db,
            set_spec,
            parse_day(from_day, "--from"),
            parse_day(until, "--until") if until else None,
            on_page=lambda done, total: bar.update(bar.task, completed=done, total=total),
        )
    print_summary(summary)


def ingest_hf_daily(
    source: str = typer.Argument(..., help="a saved /api/daily_papers JSON file, or its URL"),
) -> None:
    """Import Hugging Face Daily Papers: featured day, submitter, upvotes, GitHub repo, project page."""
    db = open_db()
    with user_errors(), progress_bar(f"importing {source}", None):
        summary = import_hf_daily(db, source)
    print_summary(summary)


def submit(
    paper: str = typer.Argument(..., help="arXiv id or abs/pdf URL, e.g. 2410.12345"),
    user: str = typer.Option("cli", "--user", help="who submitted it"),
) -> None:
    """Fetch one paper from arXiv and feature it on today's page as a submission."""
    db = open_db()
    with user_errors():  # queued like a web submission, then fetched here (or by the worker that has it)
        queued = submissions.submit(db, paper, submitted_by=user, today=date.today())
        result = submissions.run_now(db, get_settings(), queued.id)
    if result.status != submissions.DONE:
        console.print(f"[red]error:[/] {escape(result.error or result.status)} (submission #{result.id})")
        raise typer.Exit(1)
    console.print(f"submitted {result.paper_id}: {escape(result.title or '')} (submission #{result.id})")

"""`paperfeed users`, `paperfeed library import` and `paperfeed recommend`: readers and their For-you
ranking, for admins and scripts."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from paperfeed.cli.common import console, open_db, progress_bar, user_errors
from paperfeed.config import get_settings
from paperfeed.ingest.library import LibraryFormatError
from paperfeed.services import accounts, feed
from paperfeed.services.accounts import User
from paperfeed.services.library import embed_library_pending, import_library
from paperfeed.store import Database

users_app = typer.Typer(no_args_is_help=True, help="Manage reader accounts.")
library_app = typer.Typer(no_args_is_help=True, help="A reader's imported reference library.")


@users_app.command("add")
def add_user(
    name: str = typer.Argument(..., help="The username (3–32 letters, digits, '.', '_' or '-')"),
    email: str | None = typer.Option(None, "--email", help="The reader's e-mail address"),
    admin: bool = typer.Option(False, "--admin", help="Make the account an administrator"),
) -> None:
    """Create an account with a one-time password, printed once, for the reader to log in with."""
    password = secrets.token_urlsafe(12)
    with user_errors():
        user = accounts.sign_up(open_db(), name, password, email, admin=admin)
    role = "administrator" if user.is_admin else "reader"
    login = f"{get_settings().base_url.rstrip('/')}/login"
    console.print(f"created {role} [bold]{escape(user.username)}[/] (id {user.id})")
    console.print(
        f"They log in at {escape(login)} with the password [bold]{escape(password)}[/] (shown only now);"
    )
    console.print(f"to give them another: paperfeed users set-password {escape(user.username)}")


@users_app.command("set-password")
def set_password(
    name: str = typer.Argument(..., help="The username"),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="The new password (asked for when not given)",
    ),
) -> None:
    """Set a reader's password."""
    with user_errors():
        db = open_db()
        reader = _reader(db, name)
        accounts.set_password(db, reader.id, password)
        ended = accounts.revoke_sessions(db, reader.id)  # a new password also ends every open session
    console.print(f"password of {escape(name)} changed; {ended} signed-in sessions ended")


@library_app.command("import")
def library_import(
    file: Path = typer.Argument(..., help="BibTeX/BibLaTeX, RIS, CSL-JSON, or a list of arXiv ids or URLs"),
    user: str = typer.Option(..., "--user", help="Whose library"),
    embed: bool = typer.Option(True, help="Embed unmatched entries now (else the server does it later)"),
) -> None:
    """Import a reference library (format read from the content); re-importing changes nothing."""
    with user_errors():
        db = open_db()
        reader = _reader(db, user)
        try:
            report = import_library(db, reader.id, file.read_bytes())
        except LibraryFormatError as error:
            raise ValueError(f"{file}: {error}") from None
    console.print(f"{escape(str(file))} ({report.format}): {escape(report.summary())}")
    for rejected in report.rejected[:20]:
        console.print(
            f"  [red]rejected[/] entry {rejected.position} {escape(f'({rejected.label}): {rejected.reason}')}"
        )
    if len(report.rejected) > 20:
        console.print(f"  … and {len(report.rejected) - 20} more")
    if embed and report.unmatched:
        with progress_bar("embedding unmatched entries", report.unmatched) as bar:
            embed_library_pending(db, on_progress=lambda done, _total: bar.update(bar.task, completed=done))


def recommend(
    user: str = typer.Option(..., "--user", help="Whose ranking"),
    day: str | None = typer.Option(None, "--date", help="A day, YYYY-MM-DD (default: the latest one)"),
    week: str | None = typer.Option(None, "--week", help="An ISO week, YYYY-Www"),
    month: str | None = typer.Option(None, "--month", help="A month, YYYY-MM"),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=1000, help="How many papers"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: a list of {id, title, score, reasons…}"),
) -> None:
    """A reader's For-you ranking of a day's, week's or month's papers, with the reasons."""
    with user_errors():
        db = open_db()
        reader = _reader(db, user)
        period = _period(db, day, week, month)
        listing = feed.feed_page(db, period, sort=feed.PERSONAL_SORT, reader=reader.id, page_size=limit)
    rows = [
        {
            "id": c.paper.id,
            "title": c.paper.title,
            "score": c.score,
            "reasons": list(c.reasons),
            "authors": list(c.paper.authors),
            "categories": list(c.paper.categories),
            "marked": c.mark,
            "url": c.paper.abs_url,
        }
        for c in listing.cards
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not listing.personal:
        console.print(
            f"[yellow]{escape(reader.username)} has no interests yet: this is the trending order[/]"
        )
    table = Table(
        title=escape(
            f"For {reader.username}: {period.label} ({listing.total} papers, {listing.hidden} dismissed)"
        )
    )
    for column in ("#", "score", "paper", "why"):
        table.add_column(column)
    for rank, card in enumerate(listing.cards, start=1):
        score = "" if card.score is None else f"{card.score:.2f}"
        paper, why = f"{card.paper.id}  {card.paper.title}", " · ".join(card.reasons)
        table.add_row(str(rank), score, escape(paper), escape(why))  # titles are not markup
    console.print(table)


def _reader(db: Database, name: str) -> User:
    user = accounts.get_user_by_name(db, name)
    if user is None:
        raise ValueError(f"no user named {name!r}; create one with `paperfeed users add {name}`")
    return user


def _period(db: Database, day: str | None, week: str | None, month: str | None) -> feed.Period:
    options: tuple[tuple[feed.PeriodKind, str | None], ...] = (("day", day), ("week", week), ("month", month))
    given = [(kind, key) for kind, key in options if key]
    if len(given) > 1:
        raise ValueError("give one of --date, --week or --month")
    if given:
        kind, key = given[0]
        return feed.parse_period(kind, key)
    latest = feed.latest_day(db, datetime.now(UTC).date())
    if latest is None:
        raise ValueError("there are no papers yet; import some first (paperfeed ingest …)")
    return feed.period_of("day", latest)

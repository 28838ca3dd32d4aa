"""`paperfeed digest run|send-pending`, `paperfeed subscribe|unsubscribe`: the e-mail digest from the shell.

Meant for cron as much as for people: exit status 0 when everything due went out, 1 on bad input, and 2
when the SMTP server could not take every message (they stay queued and the next run retries them).
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.markup import escape

from paperfeed.cli.common import console, open_db, progress_bar, user_errors
from paperfeed.config import get_settings
from paperfeed.mail.outbox import DeliveryReport, outbox_counts, send_pending
from paperfeed.services.digest import count_subscribers, run_digest
from paperfeed.services.subscriptions import (
    FREQUENCIES,
    check_frequency,
    request_subscription,
    unsubscribe_email,
)

digest_app = typer.Typer(no_args_is_help=True, help="The e-mail digest: build it, send it, see the outbox.")
NOW_HELP = "Pretend it is this ISO date-time (UTC unless it has an offset), e.g. 2026-06-30T07:00Z"


def parse_now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--now: {value!r} is not an ISO date-time such as 2026-06-30T07:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@digest_app.command("run")
def run(
    period: str = typer.Option("daily", "--period", help=f"One of: {', '.join(FREQUENCIES)}"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be queued; change nothing"),
    now: str | None = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """Queue this period's digest for every confirmed subscriber, then send everything due."""
    with user_errors():
        frequency, moment = check_frequency(period), parse_now(now)
    db, settings = open_db(), get_settings()
    with progress_bar(f"{period} digest", count_subscribers(db, frequency)) as bar:
        report = run_digest(
            db,
            settings,
            frequency=frequency,
            now=moment,
            dry_run=dry_run,
            on_subscriber=lambda: bar.advance(bar.task),
        )
    build = report.build
    verb = "would queue" if dry_run else "queued"
    console.print(
        f"{build.period}: {build.subscribers} subscribers; {verb} {build.queued} mails "
        f"({build.papers} papers), {build.already_queued} already queued, "
        f"{build.nothing_new} with nothing new"
    )
    if build.failed:
        console.print(
            f"[red]{build.failed} subscribers' digests could not be built[/] (see the log); "
            "the next run tries them again"
        )
    if report.delivery is not None:
        _print_delivery(report.delivery)


@digest_app.command("send-pending")
def send_pending_command(now: str | None = typer.Option(None, "--now", help=NOW_HELP)) -> None:
    """Send every queued mail that is due (retries included); what a cron job runs every few minutes."""
    with user_errors():
        moment = parse_now(now)
    db, settings = open_db(), get_settings()
    _print_delivery(send_pending(db, settings, now=moment))


def subscribe(
    email: str = typer.Argument(..., help="The subscriber's address"),
    frequency: str = typer.Option("daily", "--frequency", help=f"One of: {', '.join(FREQUENCIES)}"),
) -> None:
    """Send a confirmation mail to EMAIL; the digest starts once its link is opened (double opt-in)."""
    db, settings = open_db(), get_settings()
    with user_errors():
        outbox_id = request_subscription(db, settings, email=email, frequency=frequency)
    if outbox_id is None:
        console.print(f"[yellow]not sent:[/] too many confirmation mails to {escape(email)} in the last hour")
        raise typer.Exit(1)
    report = send_pending(db, settings, only_ids=[outbox_id])
    if report.sent:
        console.print(f"confirmation mail sent to {escape(email)}; the digest starts when its link is opened")
    else:
        _print_delivery(report)


def unsubscribe(email: str = typer.Argument(..., help="The subscriber's address")) -> None:
    """Stop the digest for EMAIL at once (and withdraw any digest still queued for it)."""
    db = open_db()
    with user_errors():
        try:
            unsubscribe_email(db, email)
        except LookupError:
            raise ValueError(f"email: no subscription for {email!r}") from None
    console.print(f"{escape(email)} is unsubscribed")


def _print_delivery(report: DeliveryReport) -> None:
    console.print(
        f"sent {report.sent}, retrying later {report.retrying}, failed {report.failed}, "
        f"cancelled {report.cancelled}"
    )
    if report.outage:
        outage = escape(str(report.outage))
        console.print(f"[red]SMTP unavailable:[/] {outage}; queued mails stay queued for the next run")
        raise typer.Exit(2)


def outbox_status() -> None:
    """How many mails the outbox holds per status."""
    counts = outbox_counts(open_db())
    console.print(", ".join(f"{status}: {n}" for status, n in sorted(counts.items())) or "outbox is empty")


digest_app.command("outbox")(outbox_status)

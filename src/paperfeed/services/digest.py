"""The e-mail digest: trending papers of the period plus personal picks, queued then sent.

A run has two phases, both resumable:

1. **Build.** For each active subscriber of the frequency, one transaction writes the mail to the outbox
   under the idempotency key ``digest:{subscription_id}:{period}`` (``daily:2026-06-30``,
   ``weekly:2026-W27``) *and* one ``digest_papers`` row per paper in it. The unique key means a rerun
   (after a crash, or the scheduler's next tick) skips subscribers already done; the ``digest_papers``
   primary key means a paper can never be queued twice to the same person, in this period or any later.
2. **Send.** ``mail.outbox.send_pending`` delivers whatever is due; see there for leases, retries and
   the one-message at-least-once window.

``now`` chooses the period (and what trends in it); it is never used for delivery times. Leases and
back-offs are read from ``clock`` (the wall clock unless a test passes another) when they are written: a
build can take longer than a lease, and a lease computed from the ``now`` of before the build would be
expired on arrival, letting a second scheduler or a ``digest send-pending`` cron send the same mails.

A subscriber whose mail cannot be built (say, personal picks fail on bad data) is logged with its
subscription id and counted as ``failed``; the others still get theirs, and the next run tries again.

A subscriber who limited the digest to topics (categories, keywords: ``domain.topics``) gets only the
trending papers and personal picks on those topics; the candidates are the ``CANDIDATES`` best of the
period, so a narrow topic still finds its few papers.

Only ``active`` (confirmed) subscriptions are built, and delivery re-checks the status, so a subscriber who
leaves between build and send gets nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperfeed.config import Settings, get_settings
from paperfeed.domain.paper import Paper
from paperfeed.domain.tex import to_plain
from paperfeed.domain.text import snippet
from paperfeed.domain.topics import matches, parse_topics
from paperfeed.mail.compose import SNIPPET_CHARS, MailCard, render_digest
from paperfeed.mail.outbox import Clock, DeliveryReport, enqueue, send_pending, wall_clock
from paperfeed.rank.tally import tally_period
from paperfeed.rank.trending import rank_tallies, trending_papers
from paperfeed.services.for_you import rank_for_reader
from paperfeed.services.subscriptions import FREQUENCIES, check_frequency, unsubscribe_links
from paperfeed.store import Database
from paperfeed.store.models import (
    DigestPaperRow,
    OutboxRow,
    PaperRow,
    SubscriptionRow,
)

log = logging.getLogger(__name__)
WINDOW_DAYS = {"daily": 1, "weekly": 7}
TRENDING_PER_MAIL = 10
PICKS_PER_MAIL = 5
CANDIDATES = 200  # trending papers considered, so that enough unsent ones remain for long-time readers
CHUNK = 500
Subscriber = tuple[int, str, int | None, tuple[str, ...]]  # id, address, account, topics
Candidate = tuple[str, MailCard, Paper]


@dataclass
class BuildReport:
    frequency: str
    period: str
    subscribers: int = 0
    queued: int = 0
    already_queued: int = 0
    nothing_new: int = 0
    failed: int = 0  # subscribers whose mail could not be built (logged); retried by the next run
    papers: int = 0
    outbox_ids: list[int] = field(default_factory=list)


@dataclass
class DigestRunReport:
    build: BuildReport
    delivery: DeliveryReport | None = None


def period_key(frequency: str, now: datetime) -> str:
    """The period a mail belongs to: one digest per subscriber and period, whatever the number of runs."""
    day = now.astimezone(UTC).date()
    if check_frequency(frequency) == "daily":
        return f"daily:{day.isoformat()}"
    year, week, _ = day.isocalendar()
    return f"weekly:{year}-W{week:02d}"


def period_label(frequency: str, now: datetime) -> str:
    day = now.astimezone(UTC).date()
    if frequency == "daily":
        return f"daily digest, {day:%b} {day.day}, {day.year}"
    return f"weekly digest, week {day.isocalendar()[1]} of {day.isocalendar()[0]}"


def paper_url(settings: Settings, paper_id: str) -> str:
    return f"{settings.base_url.rstrip('/')}/papers/{paper_id}"


def run_digest(
    db: Database,
    settings: Settings,
    *,
    frequency: str,
    now: datetime | None = None,
    dry_run: bool = False,
    on_subscriber: Callable[[], None] | None = None,
    on_message: Callable[[], None] | None = None,
    clock: Clock = wall_clock,
) -> DigestRunReport:
    """Build the period of ``now``'s digests, then deliver everything due by ``clock`` (nothing is written
    or sent on a dry run)."""
    now = (now or clock()).astimezone(UTC)
    build = build_digests(
        db, settings, frequency=frequency, now=now, dry_run=dry_run, on_subscriber=on_subscriber
    )
    if dry_run:
        return DigestRunReport(build)
    return DigestRunReport(build, send_pending(db, settings, clock=clock, on_message=on_message))


def build_digests(
    db: Database,
    settings: Settings,
    *,
    frequency: str,
    now: datetime,
    dry_run: bool = False,
    on_subscriber: Callable[[], None] | None = None,
) -> BuildReport:
    report = BuildReport(frequency, period_key(frequency, now))
    trending = [
        (t.paper.id, _card(settings, t.paper, t.upvotes), t.paper)
        for t in trending_papers(db, now=now, window_days=WINDOW_DAYS[frequency], limit=CANDIDATES)
    ]
    label = period_label(frequency, now)
    for chunk in _subscriber_chunks(db, frequency):
        done = _existing_keys(db, [_key(sub[0], report.period) for sub in chunk])
        for subscriber in chunk:
            sub_id = subscriber[0]
            report.subscribers += 1
            if _key(sub_id, report.period) in done:
                report.already_queued += 1
            else:
                try:
                    _queue_one(db, settings, report, subscriber, trending, label, now, dry_run)
                except Exception:  # one subscriber's bad data must not stop everyone else's digest
                    report.failed += 1
                    log.exception(
                        "digest for subscription %s (%s) could not be built; skipped this run",
                        sub_id,
                        report.period,
                    )
            if on_subscriber:
                on_subscriber()
    return report


def count_subscribers(db: Database, frequency: str) -> int:
    with db.sessions() as session:
        return (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(SubscriptionRow)
                .where(SubscriptionRow.status == "active", SubscriptionRow.frequency == frequency)
            )
            or 0
        )


def _key(subscription_id: int, period: str) -> str:
    return f"digest:{subscription_id}:{period}"


def _card(settings: Settings, paper: Paper | PaperRow, upvotes: int) -> MailCard:
    return MailCard(
        # mail readers draw no MathML: TeX read as plain text (S$^2$COPE → S^2COPE), like the feeds
        title=" ".join(to_plain(paper.title).split()),
        url=paper_url(settings, paper.id),
        snippet=snippet(to_plain(paper.abstract), SNIPPET_CHARS),
        authors_count=len(paper.authors),
        upvotes=upvotes,
    )


def _subscriber_chunks(db: Database, frequency: str) -> Iterator[list[Subscriber]]:
    """Active subscribers in id order, a chunk at a time (keyset paging: constant memory, no OFFSET)."""
    last = 0
    while True:
        with db.sessions() as session:
            rows = session.execute(
                sa.select(
                    SubscriptionRow.id, SubscriptionRow.email, SubscriptionRow.user_id, SubscriptionRow.topics
                )
                .where(
                    SubscriptionRow.status == "active",
                    SubscriptionRow.frequency == frequency,
                    SubscriptionRow.id > last,
                )
                .order_by(SubscriptionRow.id)
                .limit(CHUNK)
            ).all()
        if not rows:
            return
        last = rows[-1][0]
        yield [(r[0], r[1], r[2], parse_topics(r[3])) for r in rows]


def _existing_keys(db: Database, keys: list[str]) -> set[str]:
    with db.sessions() as session:
        query = sa.select(OutboxRow.idempotency_key).where(OutboxRow.idempotency_key.in_(keys))
        return set(session.scalars(query))


def _queue_one(
    db: Database,
    settings: Settings,
    report: BuildReport,
    subscriber: Subscriber,
    trending: list[Candidate],
    label: str,
    now: datetime,
    dry_run: bool,
) -> None:
    """One subscriber's mail and its digest_papers rows, in one transaction (or nothing at all)."""
    sub_id, email, user_id, topics = subscriber
    on_topic = [(pid, card) for pid, card, paper in trending if _on_topic(topics, paper)]
    picks_ids = (
        personal_picks(
            db,
            user_id,
            now=now,
            window_days=WINDOW_DAYS[report.frequency],
            limit=PICKS_PER_MAIL + TRENDING_PER_MAIL,
        )
        if user_id is not None
        else []
    )
    papers, outbox_id = 0, None  # counted only once the transaction has committed (or, dry, would have)
    try:
        with db.session() as session:
            candidates = [pid for pid, _ in on_topic] + picks_ids
            sent = set(
                session.scalars(
                    sa.select(DigestPaperRow.paper_id).where(
                        DigestPaperRow.subscription_id == sub_id, DigestPaperRow.paper_id.in_(candidates)
                    )
                )
            )
            top = [(pid, card) for pid, card in on_topic if pid not in sent][:TRENDING_PER_MAIL]
            chosen = {pid for pid, _ in top}
            fresh_picks = [p for p in picks_ids if p not in sent and p not in chosen]
            picks = _pick_cards(session, settings, fresh_picks, topics)
            if not top and not picks:
                report.nothing_new += 1
                return
            unsubscribe_url, mailto = unsubscribe_links(settings, sub_id, email)
            mail = render_digest(
                period_label=label,
                trending=[c for _, c in top],
                picks=[c for _, c in picks],
                unsubscribe_url=unsubscribe_url,
                unsubscribe_mailto=mailto,
                site_url=settings.base_url,
                topics=topics,
            )
            papers = len(top) + len(picks)
            if not dry_run:
                row = enqueue(
                    session,
                    settings,
                    key=_key(sub_id, report.period),
                    kind="digest",
                    recipient=email,
                    mail=mail,
                    subscription_id=sub_id,
                    now=now,
                )
                session.add_all(
                    DigestPaperRow(subscription_id=sub_id, paper_id=pid, outbox_id=row.id)
                    for pid, _ in top + picks
                )
                outbox_id = row.id
    except IntegrityError:  # a concurrent run queued this subscriber (or one of these papers) first
        report.already_queued += 1
        return
    report.queued += 1
    report.papers += papers
    if outbox_id is not None:
        report.outbox_ids.append(outbox_id)


def _on_topic(topics: tuple[str, ...], paper: Paper | PaperRow) -> bool:
    return matches(
        topics, title=paper.title, abstract=paper.abstract, categories=tuple(paper.categories or ())
    )


def _pick_cards(
    session: Session, settings: Settings, paper_ids: list[str], topics: tuple[str, ...] = ()
) -> list[tuple[str, MailCard]]:
    if not paper_ids:
        return []
    rows = {r.id: r for r in session.scalars(sa.select(PaperRow).where(PaperRow.id.in_(paper_ids)))}
    picked = [rows[pid] for pid in paper_ids if pid in rows and _on_topic(topics, rows[pid])][:PICKS_PER_MAIL]
    return [(r.id, _card(settings, r, r.upvotes)) for r in picked]


def personal_picks(db: Database, user_id: int, *, now: datetime, window_days: int, limit: int) -> list[str]:
    """The reader's For-you order of the papers featured in the digest's window (the same model and the
    same order as the site's "For you"), minus what they already upvoted, saved, liked, dismissed or have
    in their library. Empty for a reader who has told us nothing yet: the trending part covers them."""
    last = now.astimezone(UTC).date()
    with db.sessions() as session:
        tallies = tally_period(session, last - timedelta(days=window_days - 1), last)
    ranking = rank_for_reader(db, user_id, [t.paper_id for t, _ in rank_tallies(tallies, now)], now=now)
    if not ranking.personal:
        return []
    return [r.id for r in ranking.ranked if r.id not in ranking.known][:limit]


def run_due_digests(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    clock: Clock = wall_clock,
) -> list[DigestRunReport]:
    """What the scheduler does on every tick: build any period not yet built (from the configured hour on),
    then deliver what is due. Cheap when there is nothing to do: one indexed lookup per 500 subscribers.

    ``now`` (default: ``clock()`` at the start) picks the periods; delivery reads ``clock`` afresh."""
    now = (now or clock()).astimezone(UTC)
    reports = []
    if now.hour >= settings.digest_hour_utc:
        reports = [DigestRunReport(build_digests(db, settings, frequency=f, now=now)) for f in FREQUENCIES]
    delivery = send_pending(db, settings, clock=clock)
    if reports:
        reports[-1].delivery = delivery
    return reports


def start_digest_scheduler(
    db: Database, settings: Settings | None = None, *, interval_s: float = 300.0
) -> Callable[[], None]:
    """Run due digests in a background thread every ``interval_s``; returns the function that stops it.

    Does nothing unless ``PAPERFEED_DIGEST_SCHEDULER=true``: with several web workers, enable it in one.
    Running it in two (or beside a ``digest send-pending`` cron) does not duplicate mail: idempotency keys
    stop a second build, and outbox leases, taken from the wall clock when rows are claimed and renewed
    before each message, stop a second sender. The one exception is the outbox's documented window: a
    sender killed between the server's 250 and its commit, whose message the next sender repeats.
    """
    settings = settings or get_settings()
    if not settings.digest_scheduler:
        return lambda: None
    active_settings = settings
    stopping = threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            try:
                run_due_digests(db, active_settings)
            except Exception:  # a bad tick must not kill the scheduler; the next one retries
                log.exception("digest scheduler tick failed")
            stopping.wait(interval_s)

    thread = threading.Thread(target=loop, name="paperfeed-digest-scheduler", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=30)

    return stop

"""The feed pages: a day, an ISO week or a month of featured papers, sorted and paginated.

Every listing (pages, API, RSS) goes through :func:`feed_page`, so they all show the same papers in the
same order. Navigation skips empty periods (weekends, holidays): "previous" is the nearest earlier period
that has papers, not merely the calendar neighbour.

A listing can be narrowed to one arXiv category (``category``, any of a paper's categories, case-insensitive);
the page carries the counts of the period's categories (the chips) and, for a week or a month, of its days.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.domain.feed import FeedEntry
from paperfeed.domain.paper import Paper
from paperfeed.rank.tally import MIN_VOTES_TO_RANK, Tally, paper_totals, rank_by_votes, tally_period
from paperfeed.rank.trending import rank_tallies, trending_papers
from paperfeed.services.for_you import rank_for_reader
from paperfeed.store import Database
from paperfeed.store.data_version import VersionedCache, current_version
from paperfeed.store.feed import entries_for_paper, latest_feed_day
from paperfeed.store.models import FeedEntryRow, PaperRow
from paperfeed.store.papers import get_papers

PeriodKind = Literal["day", "week", "month"]
SORTS = ("upvotes", "trending", "newest", "for_you")
PERSONAL_SORT = "for_you"
PAGE_SIZE = 50
CATEGORY_CHIPS = 12  # the most frequent categories of a listing offered as filters; the rest by ?cat=
# What every reader's view of a listing shares (its tallies, a page's papers), computed once per data change.
_PERIODS: VersionedCache[PeriodTallies] = VersionedCache(size=64)
_PAGES: VersionedCache[dict[str, Paper]] = VersionedCache(size=256)
_DAYS: VersionedCache[date | None] = VersionedCache(size=8)
_TRENDING: VersionedCache[list[tuple[Tally, float]]] = VersionedCache(size=64)


class FeedError(ValueError):
    """A period key, sort or page number that cannot be served; the message names the input."""


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    first: date
    last: date

    @property
    def key(self) -> str:
        """The URL form: 2026-07-01, 2026-W27 or 2026-07."""
        if self.kind == "day":
            return self.first.isoformat()
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.first.year}-{self.first.month:02d}"

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.first.strftime("%b %-d")
        if self.kind == "week":
            return f"Week of {self.first.strftime('%b %-d')}"
        return self.first.strftime("%B %Y")

    def containing(self, day: date) -> Period:
        return period_of(self.kind, day)


# A period's tallies, the periods before and after it that have papers, and each paper's categories.
PeriodTallies = tuple[list[Tally], Period | None, Period | None, dict[str, tuple[str, ...]]]


@dataclass(frozen=True, slots=True)
class PaperCard:
    """What a card shows: the paper, the vote total readers see, and the entry that featured it."""

    paper: Paper
    upvotes: int
    num_comments: int = 0
    entry: FeedEntry | None = None
    score: float | None = None
    reasons: tuple[str, ...] = ()  # why a personal order put it here, in the reader's words
    mark: str | None = None  # "upvote" | "save" | "like" | "library" when the reader marked it already


@dataclass(frozen=True, slots=True)
class FeedPage:
    period: Period
    cards: list[PaperCard]
    sort: str
    page: int
    pages: int
    total: int
    previous: Period | None
    next: Period | None
    personal: bool = False  # ordered for the reader (False on "for_you" for a reader with no interests yet)
    hidden: int = 0  # papers the reader dismissed (👎), left out of a personal order
    page_size: int = PAGE_SIZE
    category: str | None = None  # the category the listing is narrowed to, as the papers spell it
    categories: tuple[tuple[str, int], ...] = ()  # the period's most frequent categories, with counts
    days: tuple[tuple[date, int], ...] = ()  # the period's days that have papers, with counts

    @property
    def beyond_end(self) -> bool:
        """A page number past the last page (an old link, a hand-typed URL): nothing to show."""
        return self.page > self.pages

    def page_numbers(self, around: int = 2) -> list[int | None]:
        """The pager's numbers: the first, the last and ``around`` either side of this page; None is a gap."""
        wanted = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers = sorted(n for n in wanted if 1 <= n <= self.pages)
        shown: list[int | None] = []
        for n in numbers:
            if shown and n - (shown[-1] or 0) > 1:
                shown.append(None)
            shown.append(n)
        return shown

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * self.page_size + 1

    @property
    def last_shown(self) -> int:
        return self.first_shown + len(self.cards) - 1


def period_of(kind: PeriodKind, day: date) -> Period:
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=6))
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, following - timedelta(days=1))


_KEY_FORMS = {
    "day": (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "YYYY-MM-DD, e.g. 2026-07-01"),
    "week": (re.compile(r"^(\d{4})-W(\d{2})$"), "YYYY-Www, e.g. 2026-W27"),
    "month": (re.compile(r"^(\d{4})-(\d{2})$"), "YYYY-MM, e.g. 2026-07"),
}


def parse_period(kind: PeriodKind, key: str) -> Period:
    """A period from its URL key; a bad key raises :class:`FeedError` saying what was expected."""
    pattern, example = _KEY_FORMS[kind]
    match = pattern.match(key.strip())
    try:
        if not match:
            raise ValueError
        numbers = [int(g) for g in match.groups()]
        if kind == "day":
            day = date(*numbers)
        elif kind == "week":
            day = date.fromisocalendar(numbers[0], numbers[1], 1)
        else:
            day = date(numbers[0], numbers[1], 1)
        period = period_of(kind, day)  # the last week/month of year 9999 overflows here
    except (ValueError, OverflowError):
        name = "date" if kind == "day" else kind  # the name of the query parameter and URL part
        raise FeedError(f"{name} {key!r} is not a valid {kind}; expected {example}") from None
    return period


def latest_day(db: Database, today: date) -> date | None:
    """Today if it has papers, else the latest earlier day that has any (the front page's day)."""

    def latest() -> date | None:
        with db.sessions() as session:
            return latest_feed_day(session, not_after=today)

    return _DAYS.get(db, today, latest)


def feed_page(
    db: Database,
    period: Period,
    *,
    sort: str = "upvotes",
    page: int = 1,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
    reader: int | None = None,
    category: str | None = None,
) -> FeedPage:
    """One page of a period's papers, ``sort`` by total upvotes, the trending score, newest first, or for
    the ``reader`` (``for_you``: their personal order, with reasons; 👎 papers left out); only those of
    ``category`` if given. A page past the end comes back empty with ``beyond_end`` set (the caller says
    so), never with numbers that contradict each other."""
    if sort not in SORTS:
        raise FeedError(f"sort {sort!r} is not one of {', '.join(SORTS)}")
    if sort == PERSONAL_SORT and reader is None:
        raise FeedError("sort for_you needs a signed-in reader; log in, or sort by upvotes or trending")
    if page < 1 or page_size < 1:
        raise FeedError(f"page {page} does not exist; pages start at 1")
    now = now or datetime.now(UTC)
    version = current_version(db).version  # one read for both kept values below
    tallies, previous, following, categories = _PERIODS.get(
        db, period, lambda: _period_tallies(db, period), version=version
    )
    chips = tuple(_chips(categories))
    days = tuple(sorted(Counter(t.entry.featured_on for t in tallies).items(), reverse=True))
    chosen_category, wanted = None, None
    if category and category.strip():
        wanted = category.strip().casefold()
        tallies = [t for t in tallies if wanted in {c.casefold() for c in categories.get(t.paper_id, ())}]
        spelled = [c for cats in categories.values() for c in cats if c.casefold() == wanted]
        chosen_category = spelled[0] if spelled else category.strip()
    personal, hidden = False, 0
    reasons: dict[str, tuple[str, ...]] = {}
    marks: dict[str, str] = {}
    if sort == PERSONAL_SORT and reader is not None:
        base = _trending_base(db, (period, wanted), tallies, now, version)
        ordered, personal, hidden, reasons, marks = _personal_order(db, reader, base, now)
    else:
        ordered = _order(tallies, sort, now, period.kind)
    total = len(ordered)
    chunk = ordered[(page - 1) * page_size : page * page_size]
    papers = _PAGES.get(db, tuple(t.paper_id for t, _ in chunk), lambda: _papers(db, chunk), version=version)
    cards = [
        PaperCard(
            papers[t.paper_id],
            t.upvotes,
            t.num_comments,
            t.entry,
            score,
            reasons.get(t.paper_id, ()),
            marks.get(t.paper_id),
        )
        for t, score in chunk
        if t.paper_id in papers
    ]
    pages = max(1, -(-total // page_size))
    return FeedPage(
        period,
        cards,
        sort,
        page,
        pages,
        total,
        previous,
        following,
        personal,
        hidden,
        page_size,
        chosen_category,
        chips,
        days,
    )


def _period_tallies(db: Database, period: Period) -> PeriodTallies:
    with db.sessions() as session:
        tallies = tally_period(session, period.first, period.last)
        categories = _categories(session, [t.paper_id for t in tallies])
        return tallies, *_neighbours(session, period), categories


def _papers(db: Database, chunk: list[tuple[Tally, float | None]]) -> dict[str, Paper]:
    with db.sessions() as session:
        return get_papers(session, [t.paper_id for t, _ in chunk])


def _trending_base(
    db: Database, listing: tuple[Period, str | None], tallies: list[Tally], now: datetime, version: int
) -> list[tuple[Tally, float]]:
    """The listing's trending order, where every reader's For-you view starts: kept for the minute, as the
    anonymous pages are (scored at the minute, so every view of that minute agrees)."""
    minute = now.replace(second=0, microsecond=0)
    return _TRENDING.get(db, (*listing, minute), lambda: rank_tallies(tallies, minute), version=version)


def _personal_order(
    db: Database,
    reader: int,
    base: list[tuple[Tally, float]],
    now: datetime,
) -> tuple[list[tuple[Tally, float | None]], bool, int, dict[str, tuple[str, ...]], dict[str, str]]:
    """The reader's order of the listing. Starts from the trending order (``base``), so a reader with no
    interests yet (and ties) still gets a sensible page."""
    by_id = {t.paper_id: t for t, _ in base}
    ranking = rank_for_reader(db, reader, [t.paper_id for t, _ in base], now=now)
    ordered: list[tuple[Tally, float | None]] = [
        (by_id[r.id], r.score if ranking.personal else None) for r in ranking.ranked
    ]
    reasons = {r.id: r.reasons for r in ranking.ranked}
    return ordered, ranking.personal, len(ranking.hidden), reasons, ranking.known


def trending_cards(db: Database, *, now: datetime, window_days: int = 7, limit: int = 50) -> list[PaperCard]:
    """Trending as cards. An instance whose newest papers are older than the window (a demo database,
    a paused harvester) anchors the window at its latest day instead of showing an empty page."""
    papers = trending_papers(db, now=now, window_days=window_days, limit=limit)
    if not papers:
        day = latest_day(db, now.date())
        if day is not None:
            anchor = datetime.combine(day, time(23, 59), tzinfo=UTC)
            papers = trending_papers(db, now=anchor, window_days=window_days, limit=limit)
    return [PaperCard(t.paper, t.upvotes, t.num_comments, t.entry, t.score) for t in papers]


def cards_for(db: Database, papers: list[Paper]) -> list[PaperCard]:
    """Cards for papers found some other way (search hits, similar papers, collections)."""
    with db.sessions() as session:
        totals = paper_totals(session, [p.id for p in papers])
    return [PaperCard(p, *totals.get(p.id, (0, 0))) for p in papers]


def _order(
    tallies: list[Tally], sort: str, now: datetime, kind: PeriodKind = "day"
) -> list[tuple[Tally, float | None]]:
    """A week or a month ranks by votes only from ``MIN_VOTES_TO_RANK`` on (see ``rank_by_votes``)."""
    if sort == "trending":
        return list(rank_tallies(tallies, now))
    if sort == "newest":  # the latest day first; within a day, the latest arXiv id first
        newest = sorted(tallies, key=lambda t: (t.entry.featured_on, t.paper_id), reverse=True)
        return [(t, None) for t in newest]
    ordered = rank_by_votes(tallies, min_votes=1 if kind == "day" else MIN_VOTES_TO_RANK)
    return [(t, None) for t in ordered]


def _categories(session: Session, paper_ids: list[str]) -> dict[str, tuple[str, ...]]:
    """Each paper's arXiv categories (a month is a few thousand short lists: read in one query)."""
    found: dict[str, tuple[str, ...]] = {}
    for start in range(0, len(paper_ids), 1000):  # well under every backend's bound-parameter limit
        chunk = paper_ids[start : start + 1000]
        rows = session.execute(sa.select(PaperRow.id, PaperRow.categories).where(PaperRow.id.in_(chunk)))
        found.update({pid: tuple(cats or ()) for pid, cats in rows})
    return found


def _chips(categories: dict[str, tuple[str, ...]]) -> list[tuple[str, int]]:
    counts = Counter(c for cats in categories.values() for c in set(cats))
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:CATEGORY_CHIPS]


def _neighbours(session: Session, period: Period) -> tuple[Period | None, Period | None]:
    before = session.scalar(
        sa.select(sa.func.max(FeedEntryRow.featured_on)).where(FeedEntryRow.featured_on < period.first)
    )
    after = session.scalar(
        sa.select(sa.func.min(FeedEntryRow.featured_on)).where(FeedEntryRow.featured_on > period.last)
    )
    return (
        period.containing(before) if before else None,
        period.containing(after) if after else None,
    )


@dataclass(frozen=True, slots=True)
class PaperDetail:
    card: PaperCard
    entries: list[FeedEntry]


def paper_detail(db: Database, paper_id: str) -> PaperDetail | None:
    """A paper with its vote total and every day it was featured; None if it is not stored."""
    with db.sessions() as session:
        paper = get_papers(session, [paper_id]).get(paper_id)
        if paper is None:
            return None
        upvotes, comments = paper_totals(session, [paper_id])[paper_id]
        entries = entries_for_paper(session, paper_id)
    first = entries[0] if entries else None
    return PaperDetail(PaperCard(paper, upvotes, comments, first), entries)

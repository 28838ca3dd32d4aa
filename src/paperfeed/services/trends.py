"""Trends: papers per week per topic and per category, and the topics rising this month.

Counted by publication day with one GROUP BY (portable: weeks are summed here, not with each backend's date
functions), ending at the newest paper stored, so a corpus that stopped growing still shows its last
months. Answers are cached for :data:`CACHE_S`; a new build or new papers change the key.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeVar

from paperfeed.store import Database
from paperfeed.store import topic_map as store

CACHE_S = 300.0
WEEKS = 26
TOP_SERIES = 6
RISING_MIN_PAPERS = 10  # a topic needs this many papers this month to be called rising
RISING_MIN_GROWTH = 1.2  # and a share at least a fifth above its share before
RISING_MONTHS_BEFORE = 3  # its share this month against its share over the months before


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    label: str
    href: str | None
    counts: list[int]  # one per week of the chart

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True, slots=True)
class WeeklyChart:
    weeks: list[date]  # the Monday of each week
    series: list[Series]


@dataclass(frozen=True, slots=True)
class RisingTopic:
    topic: store.MapTopic
    papers: int  # this month
    share: float  # of this month's papers
    share_before: float  # over the months before
    growth: float  # share / share_before


_cache: dict[tuple, tuple[float, Any]] = {}
T = TypeVar("T")
_lock = threading.Lock()


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(db: Database, by: str, *, weeks: int = WEEKS, top: int = TOP_SERIES) -> WeeklyChart:
    """The ``top`` topics (``by="topic"``) or primary categories (``by="category"``) of the last ``weeks``
    weeks, by papers per week."""
    return _cached(("weekly", db.url, by, weeks, top), lambda: _weekly(db, by, weeks, top))


def _weekly(db: Database, by: str, weeks: int, top: int) -> WeeklyChart:
    with db.sessions() as session:
        last = store.latest_published(session)
        if last is None:
            return WeeklyChart([], [])
        first = monday(last) - timedelta(weeks=weeks - 1)
        rows = store.counts_by_day(session, by, since=first)
        labels = {str(t.id): t.label for t in store.topics(session)} if by == "topic" else {}
    axis = [first + timedelta(weeks=i) for i in range(weeks)]
    index = {week: i for i, week in enumerate(axis)}
    grid: dict[str, list[int]] = defaultdict(lambda: [0] * weeks)
    for day, key, n in rows:
        grid[key][index[monday(day)]] += n
    counts = dict(grid)
    # A young corpus starts with empty weeks: the chart starts at its first week with papers.
    start = min((next(i for i, n in enumerate(v) if n) for v in counts.values() if any(v)), default=0)
    axis, counts = axis[start:], {key: values[start:] for key, values in counts.items()}
    ranked = sorted(counts.items(), key=lambda item: (-sum(item[1]), item[0]))[:top]
    series = [
        Series(
            key,
            labels.get(key, key),
            f"/topics/{key}" if by == "topic" else None,
            values,
        )
        for key, values in ranked
    ]
    return WeeklyChart(axis, series)


def topic_weekly(db: Database, topic_id: int, *, weeks: int = WEEKS) -> WeeklyChart:
    chart = weekly(db, "topic", weeks=weeks, top=10_000)
    return WeeklyChart(chart.weeks, [s for s in chart.series if s.key == str(topic_id)])


def papers_weekly(db: Database, paper_ids: Sequence[str], *, weeks: int = WEEKS) -> WeeklyChart:
    """Papers per week among ``paper_ids`` (an author's), the last ``weeks`` weeks up to the newest paper."""
    with db.sessions() as session:
        last = store.latest_published(session)
        if last is None:
            return WeeklyChart([], [])
        first = monday(last) - timedelta(weeks=weeks - 1)
        rows = store.counts_for_papers(session, paper_ids, since=first)
    axis = [first + timedelta(weeks=i) for i in range(weeks)]
    values = [0] * weeks
    for day, n in rows:
        values[(monday(day) - first).days // 7] += n
    return WeeklyChart(axis, [Series("papers", "papers", None, values)])


def rising_topics(db: Database, *, limit: int = 8) -> list[RisingTopic]:
    """Topics whose share of the newest month's papers grew most against the months before."""
    return _cached(("rising", db.url, limit), lambda: _rising(db, limit))


def _rising(db: Database, limit: int) -> list[RisingTopic]:
    with db.sessions() as session:
        last = store.latest_published(session)
        if last is None:
            return []
        month_start = last.replace(day=1)
        before_start = _months_back(month_start, RISING_MONTHS_BEFORE)
        rows = store.counts_by_day(session, "topic", since=before_start)
        topics = {str(t.id): t for t in store.topics(session)}
    now: dict[str, int] = defaultdict(int)
    before: dict[str, int] = defaultdict(int)
    for day, key, n in rows:
        (now if day >= month_start else before)[key] += n
    total_now, total_before = sum(now.values()), sum(before.values())
    if not total_now:
        return []
    rising = []
    for key, papers in now.items():
        if papers < RISING_MIN_PAPERS or key not in topics:
            continue
        share = papers / total_now
        # add-one smoothing: a topic absent before grows "a lot", not infinitely
        share_before = (before.get(key, 0) + 1) / (total_before + len(topics))
        rising.append(RisingTopic(topics[key], papers, share, share_before, share / share_before))
    rising.sort(key=lambda r: (-r.growth, r.topic.id))
    return [r for r in rising if r.growth >= RISING_MIN_GROWTH][:limit]


def _months_back(first_of_month: date, months: int) -> date:
    year, month = divmod(first_of_month.year * 12 + first_of_month.month - 1 - months, 12)
    return date(year, month + 1, 1)


def _cached(key: tuple, compute: Callable[[], T]) -> T:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < CACHE_S:
            return hit[1]
    value = compute()
    with _lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = (now, value)
    return value


def clear_cache() -> None:
    """After a build (and in tests): the next chart is counted afresh."""
    with _lock:
        _cache.clear()

"""Trending: upvotes with time decay, in the open.

    score = (upvotes + 1) / (age_hours + 2) ** 1.5

``upvotes`` is what the reader sees on the card: local votes plus external (Hugging Face) upvotes.
``age_hours`` counts from the start (00:00 UTC) of the day the paper was first featured in the window.

Why this shape (Hacker News' "gravity" formula):
- Votes matter, but a paper from last week with 30 votes should give way to today's with 10: dividing by a
  power of age makes every paper sink at the same relative pace, whatever its count.
- The ``+ 1`` lets unvoted papers still be ordered by freshness instead of all tying at zero.
- The ``+ 2`` hours keeps a brand-new paper from dividing by (almost) zero and leaping above everything.
- A gravity of 1.5 halves a paper's score after roughly 1.5x more age; at 1.8 (HN's) day-old papers vanish
  too fast for a daily-paper rhythm, below 1 old hits never leave.
Hugging Face does not publish its trending formula; ours is printed on the /trending page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from paperfeed.domain.feed import FeedEntry
from paperfeed.domain.paper import Paper
from paperfeed.rank.tally import Tally, tally_period, tie_break
from paperfeed.store import Database
from paperfeed.store.papers import get_papers

GRAVITY = 1.5
AGE_OFFSET_HOURS = 2.0
FORMULA = f"(upvotes + 1) / (age_hours + {AGE_OFFSET_HOURS:g}) ^ {GRAVITY:g}"


@dataclass(frozen=True, slots=True)
class TrendingPaper:
    paper: Paper
    entry: FeedEntry
    upvotes: int
    num_comments: int
    score: float


def trending_score(upvotes: int, age_hours: float) -> float:
    """The formula above; negative ages (clock skew, future-dated entries) count as brand new."""
    return (upvotes + 1) / (max(age_hours, 0.0) + AGE_OFFSET_HOURS) ** GRAVITY


def age_hours(featured_on: date, now: datetime) -> float:
    start = datetime.combine(featured_on, time(0, 0), tzinfo=UTC)
    return (now - start).total_seconds() / 3600.0


def rank_tallies(tallies: list[Tally], now: datetime) -> list[tuple[Tally, float]]:
    """Tallies with their scores, best first. Ties (papers of one day with the same votes) go by
    :func:`~paperfeed.rank.tally.tie_break`, so pages are stable and do not follow the order of loading."""
    scored = [(t, trending_score(t.upvotes, age_hours(t.entry.featured_on, now))) for t in tallies]
    scored.sort(key=lambda pair: (-pair[1], *tie_break(pair[0])))
    return scored


def trending_papers(
    db: Database, *, now: datetime, window_days: int = 7, limit: int = 50
) -> list[TrendingPaper]:
    """The ``limit`` best-scoring papers featured in the ``window_days`` days up to ``now``.

    Used alike by the /trending page, the API and the mail digest, so all three agree.
    """
    if window_days < 1 or limit < 1:
        raise ValueError("window_days and limit must be at least 1")
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    last = now.astimezone(UTC).date()
    with db.sessions() as session:
        tallies = tally_period(session, last - timedelta(days=window_days - 1), last)
        ranked = rank_tallies(tallies, now)[:limit]
        papers = get_papers(session, [t.paper_id for t, _ in ranked])
    return [
        TrendingPaper(papers[t.paper_id], t.entry, t.upvotes, t.num_comments, score)
        for t, score in ranked
        if t.paper_id in papers
    ]

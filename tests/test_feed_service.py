"""Feed pages and the trending formula, on both backends."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from paperfeed.rank.trending import trending_papers, trending_score
from paperfeed.services import feed
from paperfeed.services.feed import FeedError
from paperfeed.store import Database
from tests.support.live_server import add_paper

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_trending_score_is_the_documented_formula() -> None:
    assert trending_score(9, 0) == pytest.approx(10 / 2**1.5)
    assert trending_score(9, 22) == pytest.approx(10 / 24**1.5)
    assert trending_score(5, 10) > trending_score(5, 20) and trending_score(6, 10) > trending_score(5, 10)
    assert trending_score(0, -5) == trending_score(0, 0)  # entries from the future count as new


def test_trending_decays_votes_with_age_and_respects_the_window(db: Database) -> None:
    add_paper(db, "2607.00001", "Today, no votes", date(2026, 7, 1))  # 1 / 14^1.5 = 0.0191
    add_paper(db, "2606.00002", "Three days, 10 votes", date(2026, 6, 28), external_upvotes=10)  # 11 / 86^1.5
    add_paper(db, "2606.00003", "Six days, 100 votes", date(2026, 6, 25), external_upvotes=100)  # 101/158^1.5
    add_paper(db, "2606.00004", "Eight days, 1000 votes", date(2026, 6, 23), external_upvotes=1000)
    ranked = trending_papers(db, now=NOW, window_days=7, limit=10)
    assert [t.paper.id for t in ranked] == ["2606.00003", "2607.00001", "2606.00002"]
    assert ranked[0].score == pytest.approx(101 / (6 * 24 + 12 + 2) ** 1.5)
    assert [t.paper.id for t in trending_papers(db, now=NOW, window_days=7, limit=1)] == ["2606.00003"]
    with pytest.raises(ValueError, match="window_days"):
        trending_papers(db, now=NOW, window_days=0)


def test_trending_page_anchors_at_the_latest_day_of_a_stale_instance(db: Database) -> None:
    add_paper(db, "2607.00001", "Old news", date(2026, 7, 1))
    months_later = datetime(2026, 11, 24, tzinfo=UTC)
    assert trending_papers(db, now=months_later, window_days=7) == []
    assert [c.paper.id for c in feed.trending_cards(db, now=months_later)] == ["2607.00001"]


def test_feed_page_counts_local_and_external_votes_and_paginates(db: Database) -> None:
    for i in range(5):
        add_paper(db, f"2607.0000{i}", f"Paper {i}", date(2026, 7, 1), external_upvotes=i)
    period = feed.period_of("day", date(2026, 7, 1))
    first = feed.feed_page(db, period, page=1, page_size=2, now=NOW)
    assert [c.paper.id for c in first.cards] == ["2607.00004", "2607.00003"]
    assert [c.upvotes for c in first.cards] == [4, 3]
    assert (first.total, first.pages) == (5, 3)
    last = feed.feed_page(db, period, page=3, page_size=2, now=NOW)
    assert [c.paper.id for c in last.cards] == ["2607.00000"]
    assert feed.feed_page(db, period, page=9, page_size=2, now=NOW).cards == []


def test_a_paper_featured_twice_in_a_week_is_listed_once(db: Database) -> None:
    add_paper(db, "2606.00001", "Listed, then on Hugging Face", date(2026, 6, 29))
    add_paper(db, "2606.00001", "Listed, then on Hugging Face", date(2026, 7, 1), external_upvotes=7)
    week = feed.feed_page(db, feed.parse_period("week", "2026-W27"), now=NOW)
    assert [(c.paper.id, c.upvotes, c.entry.featured_on) for c in week.cards] == [
        ("2606.00001", 7, date(2026, 6, 29))
    ]


def test_neighbours_skip_empty_periods(db: Database) -> None:
    for day in (date(2026, 5, 29), date(2026, 6, 26), date(2026, 7, 1)):
        add_paper(db, f"2606.0{day:%m%d}", "p", day)
    june = feed.feed_page(db, feed.parse_period("month", "2026-06"), now=NOW)
    assert (june.previous.key, june.next.key) == ("2026-05", "2026-07")
    day = feed.feed_page(db, feed.parse_period("day", "2026-06-26"), now=NOW)
    assert (day.previous.key, day.next.key) == ("2026-05-29", "2026-07-01")
    assert feed.feed_page(db, feed.parse_period("day", "2026-07-01"), now=NOW).next is None


@pytest.mark.parametrize(
    ("kind", "key", "first", "last"),
    [
        ("day", "2026-07-01", date(2026, 7, 1), date(2026, 7, 1)),
        ("week", "2026-W27", date(2026, 6, 29), date(2026, 7, 5)),
        ("week", "2026-W01", date(2025, 12, 29), date(2026, 1, 4)),
        ("month", "2028-02", date(2028, 2, 1), date(2028, 2, 29)),
    ],
)
def test_periods_parse_and_print_their_keys(kind: str, key: str, first: date, last: date) -> None:
    period = feed.parse_period(kind, key)  # type: ignore[arg-type]
    assert (period.first, period.last, period.key) == (first, last, key)


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("day", "2026-7-1"),
        ("week", "2026-W54"),
        ("month", "2026-13"),
        ("month", "9999-12"),
        ("week", "9999-W52"),
    ],
)
def test_bad_period_keys_name_the_expected_form(kind: str, key: str) -> None:
    with pytest.raises(FeedError, match=re.escape(key)):
        feed.parse_period(kind, key)  # type: ignore[arg-type]


def test_hugging_face_totals_seen_twice_are_not_added_up(db: Database) -> None:
    from paperfeed.domain import FeedEntry, FeedSource, Paper
    from paperfeed.rank.tally import paper_totals
    from paperfeed.store.feed import upsert_feed_entries
    from paperfeed.store.papers import upsert_papers

    with db.session() as s:
        upsert_papers(s, [Paper("2607.00042", "Twice featured")])
        upsert_feed_entries(
            s,
            [
                FeedEntry("2607.00042", date(2026, 6, 30), FeedSource.HF, "a", 7, 1),
                FeedEntry("2607.00042", date(2026, 7, 1), FeedSource.HF, "a", 9, 2),
            ],
        )
    with db.sessions() as s:
        assert paper_totals(s, ["2607.00042"]) == {"2607.00042": (9, 2)}

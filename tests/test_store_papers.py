"""Storage of papers and feed entries: idempotent, merging, on both backends."""

from __future__ import annotations

from datetime import date

from paperfeed.domain import FeedEntry, FeedSource, Paper, PaperVersion
from paperfeed.store.feed import entries_between, upsert_feed_entries
from paperfeed.store.papers import count_papers, get_paper, iter_papers, upsert_papers


def make_paper(paper_id: str = "2501.00001", **fields) -> Paper:
    defaults = dict(
        title="Sparse attention at scale",
        abstract="We study sparse attention.",
        authors=("Ada Lovelace", "Alan Turing"),
        categories=("cs.LG", "cs.AI"),
        published=date(2025, 1, 2),
    )
    return Paper(id=paper_id, **{**defaults, **fields})


def test_upserting_the_same_papers_twice_changes_nothing(db):
    papers = [make_paper(f"2501.{i:05d}") for i in range(1, 6)]
    with db.session() as s:
        first = upsert_papers(s, papers)
    with db.session() as s:
        second = upsert_papers(s, papers)
        assert count_papers(s) == 5
    assert (first.new, first.updated, first.unchanged) == (5, 0, 0)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 5)


def test_a_newer_version_updates_and_an_older_one_does_not_roll_back(db):
    with db.session() as s:
        upsert_papers(s, [make_paper(version=2, abstract="Revised.", versions=(PaperVersion(2),))])
    with db.session() as s:
        counts = upsert_papers(
            s, [make_paper(version=1, abstract="Original.", versions=(PaperVersion(1, date(2025, 1, 2)),))]
        )
        stored = get_paper(s, "2501.00001")
    assert counts.updated == 1  # only the version history grew
    assert stored.abstract == "Revised." and stored.version == 2
    assert [v.version for v in stored.versions] == [1, 2]


def test_a_source_with_fewer_fields_does_not_erase_known_ones(db):
    with db.session() as s:
        upsert_papers(s, [make_paper()])
    with db.session() as s:
        upsert_papers(
            s,
            [Paper(id="2501.00001", title="Sparse attention at scale", github_repo="https://github.com/x/y")],
        )
        stored = get_paper(s, "2501.00001")
    assert stored.categories == ("cs.LG", "cs.AI")
    assert stored.authors == ("Ada Lovelace", "Alan Turing")
    assert stored.github_repo == "https://github.com/x/y"


def test_unicode_and_author_order_survive_a_round_trip(db):
    paper = make_paper(title="Über 𝔼-learning: naïve “quotes”", authors=("Zoë Ö", "Émile Ŝ", "A B"))
    with db.session() as s:
        upsert_papers(s, [paper])
    with db.session() as s:
        assert list(iter_papers(s)) == [paper]


def test_feed_entries_are_one_per_paper_and_day(db):
    with db.session() as s:
        upsert_papers(s, [make_paper()])
        entry = FeedEntry("2501.00001", date(2025, 1, 3), FeedSource.HF, "alice", 7)
        first = upsert_feed_entries(s, [entry, entry])
    with db.session() as s:
        again = upsert_feed_entries(s, [entry])
        more = upsert_feed_entries(s, [FeedEntry("2501.00001", date(2025, 1, 3), FeedSource.HF, "alice", 9)])
        entries = entries_between(s, date(2025, 1, 1), date(2025, 1, 31))
    assert (first.new, again.unchanged, more.updated) == (1, 1, 1)
    assert [e.external_upvotes for e in entries] == [9]


def test_timestamps_come_back_as_the_same_instant_in_utc_on_both_backends(db):
    from datetime import UTC, datetime, timedelta, timezone

    from paperfeed.store.models import UserRow

    noon_in_berlin = datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with db.session() as s:
        s.add(UserRow(username="tz", password_hash="x", created_at=noon_in_berlin))
    with db.sessions() as s:
        stored = s.query(UserRow).one().created_at
    assert stored == noon_in_berlin and stored.tzinfo is not None
    assert stored.utcoffset() == timedelta(0) and stored.hour == 10
    assert stored == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)

"""For you on both backends, with the bundled sample's real papers and vectors: cold start, 👍/👎 changing the
next ranking, dismissed papers staying hidden, a reason on every card, follows, and a library entry that
matches no stored paper still counting through its own text."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from paperfeed.services import accounts, community, interests
from paperfeed.services.feed import FeedPage, feed_page, period_of
from paperfeed.services.for_you import rank_for_reader
from paperfeed.services.library import embed_library_pending, import_library
from paperfeed.services.reader_signals import has_interests
from paperfeed.services.search import SAMPLE_VECTORS, load_precomputed_vectors, search_papers
from paperfeed.store import Database
from paperfeed.store.papers import get_papers
from paperfeed.store.vectors import vectors_for
from tests.support.live_server import SAMPLE_NOW, load_sample

DAY = date(2026, 7, 1)


@pytest.fixture
def sample_db(db: Database) -> Database:
    load_sample(db, 400)
    load_precomputed_vectors(db, SAMPLE_VECTORS)
    return db


def _for_you(db: Database, reader: int) -> FeedPage:
    return feed_page(db, period_of("day", DAY), sort="for_you", reader=reader, now=SAMPLE_NOW, page_size=500)


def _ids(page: FeedPage) -> list[str]:
    return [c.paper.id for c in page.cards]


def _day_ids(db: Database) -> list[str]:
    return _ids(feed_page(db, period_of("day", DAY), sort="trending", now=SAMPLE_NOW, page_size=500))


def _mean_similarity(db: Database, ids: list[str], to: list[str]) -> float:
    from paperfeed.embed import current_model_key

    with db.sessions() as session:
        vectors = vectors_for(session, current_model_key(), ids + to)
    a = np.stack([vectors[i] for i in ids])
    b = np.stack([vectors[i] for i in to])
    return float((a @ b.T).mean())


def test_a_new_reader_gets_the_trending_order_and_no_reasons(sample_db: Database) -> None:
    reader = accounts.sign_up(sample_db, "newcomer", "a long enough password")
    page = _for_you(sample_db, reader.id)
    assert not has_interests(sample_db, reader.id)
    assert page.personal is False and page.hidden == 0
    assert _ids(page) == _day_ids(sample_db)
    assert all(card.reasons == () for card in page.cards)


def test_likes_pull_similar_papers_up_and_a_dislike_hides_a_paper_until_undone(sample_db: Database) -> None:
    db = sample_db
    reader = accounts.sign_up(db, "reader", "a long enough password")
    day = set(_day_ids(db))
    hits = search_papers(db, "speech recognition", limit=40).hits
    speech = [h.paper.id for h in hits if h.paper.id not in day]
    for paper_id in speech[:4]:
        interests.rate(db, reader.id, paper_id, interests.LIKE)

    page = _for_you(db, reader.id)
    ranked = _ids(page)
    assert page.personal and set(ranked) == day
    top, rest = ranked[:10], ranked[10:]
    assert _mean_similarity(db, top, speech[:4]) > _mean_similarity(db, rest, speech[:4]) + 0.1
    assert all(card.reasons for card in page.cards)  # a reason on every card

    first = ranked[0]
    interests.rate(db, reader.id, first, interests.DISLIKE)
    dismissed = _for_you(db, reader.id)
    assert first not in _ids(dismissed) and dismissed.hidden == 1 and dismissed.total == len(day) - 1

    interests.unrate(db, reader.id, first)
    assert first in _ids(_for_you(db, reader.id))


def test_a_like_of_another_topic_moves_its_neighbours_up_at_once(sample_db: Database) -> None:
    db = sample_db
    reader = accounts.sign_up(db, "reader", "a long enough password")
    day = _day_ids(db)
    for paper_id in [h.paper.id for h in search_papers(db, "speech recognition", limit=4).hits]:
        interests.rate(db, reader.id, paper_id, interests.LIKE)
    page = _for_you(db, reader.id)
    before = _ids(page)
    other = next(c.paper.id for c in reversed(page.cards) if c.mark is None)  # ranked last of the unseen
    hits = search_papers(db, _title(db, other), limit=30).hits
    neighbours = [h.paper.id for h in hits if h.paper.id in day and h.paper.id != other][:5]
    interests.rate(db, reader.id, other, interests.LIKE)
    after = _ids(_for_you(db, reader.id))
    assert np.mean([after.index(p) for p in neighbours]) < np.mean([before.index(p) for p in neighbours])
    assert after[-1] == other or after.index(other) > len(after) - 10  # marked papers go last: already seen
    assert _for_you(db, reader.id).cards[after.index(other)].mark == "like"


def _title(db: Database, paper_id: str) -> str:
    with db.sessions() as session:
        return get_papers(session, [paper_id])[paper_id].title


def test_a_dislike_pushes_the_dismissed_papers_neighbours_down(sample_db: Database) -> None:
    db = sample_db
    reader = accounts.sign_up(db, "reader", "a long enough password")
    day = _day_ids(db)
    interests.follow(db, reader.id, "keyword", "model")  # some interest, so the order is personal
    before = _ids(_for_you(db, reader.id))
    dismissed = before[len(before) // 2]
    hits = search_papers(db, _title(db, dismissed), mode="semantic", limit=30).hits
    neighbours = [h.paper.id for h in hits if h.paper.id in day and h.paper.id != dismissed][:5]
    interests.rate(db, reader.id, dismissed, interests.DISLIKE)
    after = _ids(_for_you(db, reader.id))
    assert dismissed not in after
    assert np.mean([after.index(p) for p in neighbours]) > np.mean([before.index(p) for p in neighbours]) + 10


def test_follows_give_their_reasons(sample_db: Database) -> None:
    db = sample_db
    reader = accounts.sign_up(db, "reader", "a long enough password")
    cards = feed_page(db, period_of("day", DAY), now=SAMPLE_NOW, page_size=500).cards
    author = cards[7].paper.authors[0]
    category = cards[3].paper.primary_category
    interests.follow(db, reader.id, "author", author.upper())  # any spelling of the name
    interests.follow(db, reader.id, "category", category)
    interests.follow(db, reader.id, "keyword", "benchmark")

    page = _for_you(db, reader.id)
    by_id = {c.paper.id: c for c in page.cards}
    assert f"By {author}, whom you follow" in by_id[cards[7].paper.id].reasons
    assert page.cards[0].paper.id == cards[7].paper.id or author in page.cards[0].paper.authors
    followed = [c for c in page.cards if c.paper.primary_category == category]
    assert any(f"In {category}, which you follow" in c.reasons for c in followed)
    assert any("Mentions “benchmark”, a keyword you follow" in c.reasons for c in page.cards)
    assert interests.unfollow(db, reader.id, "author", author)
    assert interests.follows_of(db, reader.id)["author"] == []


def test_upvotes_and_saves_count_and_are_marked(sample_db: Database) -> None:
    db = sample_db
    reader = accounts.sign_up(db, "reader", "a long enough password")
    day = _day_ids(db)
    community.upvote(db, reader.id, day[0])
    ranking = rank_for_reader(db, reader.id, day)
    assert ranking.personal and ranking.known == {day[0]: "upvote"}
    marked = next(r for r in ranking.ranked if r.id == day[0])
    assert marked.reasons[0] == "You upvoted this" and ranking.ranked[-1].id == day[0]


def test_a_library_entry_that_matches_nothing_counts_through_its_own_text(sample_db: Database) -> None:
    db = sample_db
    reader = accounts.sign_up(db, "reader", "a long enough password")
    bib = (
        "@article{old1998, title = {Hidden {M}arkov models for continuous speech recognition},"
        " abstract = {We recognise spoken words in continuous speech with acoustic models and a language"
        " model decoded by the Viterbi algorithm; word error rates fall on read and spontaneous speech.},"
        " author = {Rabiner, L.}, journal = {Proc. IEEE}, year = {1989}}"
    )
    report = import_library(db, reader.id, bib.encode())
    assert (report.matched_total, report.unmatched) == (0, 1)
    assert embed_library_pending(db) == 1

    page = _for_you(db, reader.id)
    assert page.personal
    top = page.cards[:5]
    assert any("in your library" in r for c in top for r in c.reasons), [c.reasons for c in top]
    speechy = [c for c in top if "speech" in (c.paper.title + c.paper.abstract).lower()]
    assert len(speechy) >= 3, [c.paper.title for c in top]

"""Upvotes stay exact under concurrency, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from paperfeed.domain.feed import FeedEntry
from paperfeed.domain.paper import Paper
from paperfeed.services import accounts, community
from paperfeed.store import Database
from paperfeed.store.feed import upsert_feed_entries
from paperfeed.store.models import PaperRow, UserRow, VoteRow
from paperfeed.store.papers import upsert_papers

USERS = 50


def _paper(db: Database, paper_id: str = "2607.00001", external: int = 0) -> str:
    with db.session() as session:
        upsert_papers(session, [Paper(paper_id, "A paper everyone likes", published=date(2026, 7, 1))])
        upsert_feed_entries(session, [FeedEntry(paper_id, date(2026, 7, 1), external_upvotes=external)])
    return paper_id


def _readers(db: Database, count: int) -> list[accounts.User]:
    """Users made directly (hashing 50 passwords with argon2 would only slow the test down)."""
    with db.session() as session:
        rows = [
            UserRow(username=f"reader{i:02d}", password_hash="x", created_at=datetime.now(UTC))
            for i in range(count)
        ]
        session.add_all(rows)
        session.flush()
        return [accounts.User(row.id, row.username) for row in rows]


def _counts(db: Database, paper_id: str) -> tuple[int, int]:
    with db.sessions() as session:
        local = session.scalar(sa.select(PaperRow.upvotes).where(PaperRow.id == paper_id))
        votes = sa.select(sa.func.count()).select_from(VoteRow).where(VoteRow.paper_id == paper_id)
        rows = session.scalar(votes)
    return local, rows


def test_vote_race(db: Database) -> None:
    paper_id = _paper(db)
    users = _readers(db, USERS)

    with ThreadPoolExecutor(max_workers=USERS) as pool:
        results = list(pool.map(lambda u: community.upvote(db, u.id, paper_id), users))

    assert all(r.changed and r.voted for r in results)
    assert _counts(db, paper_id) == (USERS, USERS)

    again = community.upvote(db, users[0].id, paper_id)
    assert (again.changed, again.upvotes) == (False, USERS)
    assert _counts(db, paper_id) == (USERS, USERS)

    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda u: community.remove_upvote(db, u.id, paper_id), users[:10] * 2))
    assert _counts(db, paper_id) == (USERS - 10, USERS - 10)


def test_shown_count_adds_external_upvotes_and_undo_is_idempotent(db: Database) -> None:
    paper_id = _paper(db, external=7)
    user = _readers(db, 1)[0]
    assert community.upvote(db, user.id, paper_id).upvotes == 8
    assert community.remove_upvote(db, user.id, paper_id).upvotes == 7
    second = community.remove_upvote(db, user.id, paper_id)
    assert (second.upvotes, second.changed) == (7, False)


def test_upvoting_an_unknown_paper_names_it(db: Database) -> None:
    user = _readers(db, 1)[0]
    with pytest.raises(community.UnknownPaper, match="2607.99999"):
        community.upvote(db, user.id, "2607.99999")

"""Everything the personal ranking reads for one reader, gathered for the interests settings page."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from paperfeed.domain.paper import Paper
from paperfeed.services import accounts, collections, interests, library
from paperfeed.services.collections import Collection
from paperfeed.services.interests import Follow
from paperfeed.services.library import LibraryItem
from paperfeed.store import Database
from paperfeed.store.models import VoteRow
from paperfeed.store.papers import get_papers

LIBRARY_SHOWN = 200  # the settings page lists the most recent entries; the count says how many there are
UPVOTES_SHOWN = 100


@dataclass(frozen=True, slots=True)
class RatedPaper:
    paper_id: str
    title: str
    value: int


@dataclass(frozen=True, slots=True)
class InterestsOverview:
    """Everything the personal ranking reads for one reader, as the settings page lists it."""

    follows: dict[str, list[Follow]]
    ratings: list[RatedPaper]
    library_count: int
    library: list[LibraryItem]
    upvoted: list[Paper]
    upvote_count: int
    collections: list[Collection]
    has_feed_token: bool


def interests_overview(db: Database, user_id: int) -> InterestsOverview:
    ratings = interests.ratings_of(db, user_id)
    with db.sessions() as session:
        titles = get_papers(session, list(ratings))
        upvote_count = (
            session.scalar(sa.select(sa.func.count()).select_from(VoteRow).where(VoteRow.user_id == user_id))
            or 0
        )
        upvoted_ids = list(
            session.scalars(
                sa.select(VoteRow.paper_id)
                .where(VoteRow.user_id == user_id)
                .order_by(VoteRow.created_at.desc())
                .limit(UPVOTES_SHOWN)
            )
        )
        upvoted = get_papers(session, upvoted_ids)
    rated = [
        RatedPaper(pid, titles[pid].title if pid in titles else pid, value) for pid, value in ratings.items()
    ]
    return InterestsOverview(
        follows=interests.follows_of(db, user_id),
        ratings=sorted(rated, key=lambda r: (-r.value, r.title.lower())),
        library_count=library.count_library(db, user_id),
        library=library.library_items(db, user_id, limit=LIBRARY_SHOWN),
        upvoted=[upvoted[pid] for pid in upvoted_ids if pid in upvoted],
        upvote_count=upvote_count,
        collections=collections.list_collections(db, user_id),
        has_feed_token=accounts.has_feed_token(db, user_id),
    )

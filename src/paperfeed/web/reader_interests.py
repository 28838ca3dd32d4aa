"""What the pages show of one reader's interests: the marks on the cards, the settings page's overview, and
the categories offered on onboarding.

Gathered from the services; three small read-only queries live here because no service answers them yet
(the reader's upvoted papers, titles of rated papers, categories with counts) — candidates for a service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import Request

from paperfeed.domain.paper import Paper
from paperfeed.services import accounts, collections, community, interests, library
from paperfeed.services.collections import Collection
from paperfeed.services.feed import PaperCard
from paperfeed.services.interests import Follow, follow_key
from paperfeed.services.library import LibraryItem
from paperfeed.store import Database
from paperfeed.store.models import PaperRow, VoteRow
from paperfeed.store.papers import get_papers
from paperfeed.web.security import current_user, get_db

LIBRARY_SHOWN = 200  # the settings page lists the most recent entries; the count says how many there are
UPVOTES_SHOWN = 100


def card_marks(request: Request, cards: Sequence[PaperCard]) -> dict[str, Any]:
    """The template variables every card needs: which papers the reader upvoted (``voted``) and rated
    (``rated``: id → +1/-1). Empty for anonymous visitors."""
    user = current_user(request)
    if user is None or not cards:
        return {"voted": set(), "rated": {}}
    db = get_db(request)
    ids = [c.paper.id for c in cards]
    return {"voted": community.voted_papers(db, user.id, ids),
            "rated": interests.ratings_of(db, user.id, ids)}


def followed_on_paper(db: Database, user_id: int, paper: Paper) -> set[tuple[str, str]]:
    """(kind, value) of the paper's authors and categories the reader follows, for its follow buttons."""
    keys = {(f.kind, f.key) for group in interests.follows_of(db, user_id).values() for f in group}
    named = [("author", a) for a in paper.authors] + [("category", c) for c in paper.categories]
    return {(kind, value) for kind, value in named if (kind, follow_key(kind, value)) in keys}


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
        upvote_count = session.scalar(sa.select(sa.func.count()).select_from(VoteRow)
                                      .where(VoteRow.user_id == user_id)) or 0
        upvoted_ids = list(session.scalars(
            sa.select(VoteRow.paper_id).where(VoteRow.user_id == user_id)
            .order_by(VoteRow.created_at.desc()).limit(UPVOTES_SHOWN)
        ))
        upvoted = get_papers(session, upvoted_ids)
    rated = [RatedPaper(pid, titles[pid].title if pid in titles else pid, value)
             for pid, value in ratings.items()]
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


def category_counts(db: Database, limit: int = 200) -> list[tuple[str, int]]:
    """Primary categories present in the database, most papers first (one grouped query)."""
    count = sa.func.count().label("n")
    with db.sessions() as session:
        rows = session.execute(
            sa.select(PaperRow.primary_category, count).where(PaperRow.primary_category.is_not(None))
            .group_by(PaperRow.primary_category).order_by(count.desc(), PaperRow.primary_category)
            .limit(limit)
        ).all()
    return [(category, int(n)) for category, n in rows]

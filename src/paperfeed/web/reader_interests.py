"""What the pages show of one reader's interests on cards and paper pages: their upvotes and ratings, and
which of a paper's authors and categories they follow. (The settings page's overview is
``services.reader_overview``.)"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request

from paperfeed.domain.paper import Paper
from paperfeed.services import interests
from paperfeed.services.feed import PaperCard
from paperfeed.services.interests import follow_key
from paperfeed.services.page_marks import page_marks
from paperfeed.store import Database
from paperfeed.web.security import current_user, get_db


def card_marks(request: Request, cards: Sequence[PaperCard]) -> dict[str, Any]:
    """The template variables every card needs: which papers the reader upvoted (``voted``) and rated
    (``rated``: id → +1/-1), their collections and which hold each paper (``collections_menu``,
    ``saved_in``, for the save menu), kept per reader until they or the data change
    (``services/page_marks``). Empty for anonymous visitors."""
    user = current_user(request)
    if user is None or not cards:
        return {"voted": set(), "rated": {}}
    marks = page_marks(get_db(request), user.id, [c.paper.id for c in cards])
    return {
        "voted": marks.voted,
        "rated": marks.rated,
        # the save menus: the reader's collections, and which of them hold each paper
        "collections_menu": marks.collections,
        "saved_in": marks.saved_in,
    }


def followed_on_paper(db: Database, user_id: int, paper: Paper) -> set[tuple[str, str]]:
    """(kind, value) of the paper's authors and categories the reader follows, for its follow buttons."""
    keys = {(f.kind, f.key) for group in interests.follows_of(db, user_id).values() for f in group}
    named = [("author", a) for a in paper.authors] + [("category", c) for c in paper.categories]
    return {(kind, value) for kind, value in named if (kind, follow_key(kind, value)) in keys}

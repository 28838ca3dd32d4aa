"""The reader's own marks on a page of cards: which papers they upvoted and rated, which of their collections
hold each, and their collections (the save menu). Kept per reader and page until something they show moves.

Every signed-in page with cards needs them, and they were four queries per view. Votes, collections and
saves count in the data version (``store/data_version``), ratings in the reader's signal fingerprint
(``services/reader_signals``); a kept value is filed under both, read before it is computed, so a vote, a
save or a 👍 shows on the very next page, on every node. Only the reader's own id is in the key with them:
one reader's marks are never another's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from paperfeed.services import collections, community, interests
from paperfeed.services.collections import Collection
from paperfeed.services.reader_signals import reader_signals
from paperfeed.store import Database
from paperfeed.store.data_version import VersionedCache


@dataclass(frozen=True, slots=True)
class PageMarks:
    """Shared by the views that read it: never changed once made."""

    voted: frozenset[str]
    rated: Mapping[str, int]  # paper id → +1 / -1
    collections: tuple[Collection, ...]
    saved_in: Mapping[
        str, tuple[str, ...]
    ]  # paper id → slugs of the reader's collections that hold it, sorted


_KEPT: VersionedCache[PageMarks] = VersionedCache(size=1024)


def page_marks(db: Database, user_id: int, paper_ids: Sequence[str]) -> PageMarks:
    """The reader's marks on ``paper_ids`` (kept: see the module's docstring)."""
    ids = tuple(paper_ids)
    key = ("page_marks", user_id, reader_signals(db, user_id).fingerprint, ids)
    return _KEPT.get(db, key, lambda: _read(db, user_id, list(ids)))


def _read(db: Database, user_id: int, ids: list[str]) -> PageMarks:
    return PageMarks(
        voted=frozenset(community.voted_papers(db, user_id, ids)),
        rated=interests.ratings_of(db, user_id, ids),
        collections=tuple(collections.list_collections(db, user_id)),
        saved_in={
            pid: tuple(sorted(slugs)) for pid, slugs in collections.memberships(db, user_id, ids).items()
        },
    )

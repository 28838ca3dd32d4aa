"""What a reader tells paperfeed about their interests, besides votes and saves: 👍/👎 and follows.

A rating is one row per reader and paper (``ON CONFLICT`` updates it), so clicking 👍 twice, or 👍 then 👎,
leaves exactly one opinion; "undo" deletes it. Follows are unique per reader, kind and normalised key, so
"Yann LeCun" and "yann  lecun" are one follow. The imported library lives in ``services/library.py``; the
ranking that reads all of it in ``services/for_you.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from paperfeed.rank.personal import normalise_name
from paperfeed.services.community import UnknownPaper
from paperfeed.store import Database
from paperfeed.store.models import FollowRow, LibraryItemRow, RatingRow

FOLLOW_KINDS = ("author", "category", "keyword")
MAX_FOLLOW_CHARS = 200
MAX_FOLLOWS = 500  # per reader and kind: enough for any real reader, bounded for the ranking's cost
CATEGORY_RE = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")  # cs.CL, math.AG, hep-th, q-bio.NC
LIKE, DISLIKE = 1, -1


class InterestError(ValueError):
    """A follow or rating that cannot be stored; the message names the input."""


@dataclass(frozen=True, slots=True)
class Follow:
    kind: str
    key: str
    value: str


def rate(db: Database, user_id: int, paper_id: str, value: int) -> None:
    """Record 👍 (+1) or 👎 (-1) for a paper, replacing any earlier rating of it."""
    if value not in (LIKE, DISLIKE):
        raise InterestError(f"A rating is +1 (more like this) or -1 (not interested), not {value!r}.")
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    now = datetime.now(UTC)
    statement = insert(RatingRow).values(user_id=user_id, paper_id=paper_id, value=value, created_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "paper_id"], set_={"value": value, "created_at": now}
    )
    try:
        with db.session() as session:
            session.execute(statement)
    except IntegrityError:  # the foreign key: no such paper
        raise UnknownPaper(paper_id) from None


def unrate(db: Database, user_id: int, paper_id: str) -> bool:
    """Undo a 👍 or 👎; returns whether there was one."""
    with db.session() as session:
        return (
            session.execute(
                sa.delete(RatingRow)
                .where(RatingRow.user_id == user_id, RatingRow.paper_id == paper_id)
                .returning(RatingRow.id)
            ).first()
            is not None
        )


def ratings_of(db: Database, user_id: int, paper_ids: list[str] | None = None) -> dict[str, int]:
    """The reader's ratings (of ``paper_ids`` only, if given): paper id → +1 or -1."""
    query = sa.select(RatingRow.paper_id, RatingRow.value).where(RatingRow.user_id == user_id)
    if paper_ids is not None:
        if not paper_ids:
            return {}
        query = query.where(RatingRow.paper_id.in_(paper_ids))
    with db.sessions() as session:
        return {pid: int(value) for pid, value in session.execute(query)}


def follow_key(kind: str, value: str) -> str:
    """The form two follows are compared in: names without accents or case, categories as arXiv spells
    them, keywords lower-cased with single spaces."""
    if kind == "author":
        return normalise_name(value)
    if kind == "category":
        return value.strip()
    return " ".join(value.lower().split())


def follow(db: Database, user_id: int, kind: str, value: str) -> Follow:
    """Follow an author, a category or a keyword; following twice changes nothing."""
    if kind not in FOLLOW_KINDS:
        raise InterestError(f"One can follow an {', a '.join(FOLLOW_KINDS)}, not {kind!r}.")
    value = " ".join("".join(c for c in value if c.isprintable()).split())
    if not value or len(value) > MAX_FOLLOW_CHARS:
        raise InterestError(f"Give a {kind} of 1 to {MAX_FOLLOW_CHARS} characters to follow.")
    if kind == "category" and not CATEGORY_RE.match(value):
        raise InterestError(f"{value!r} is not an arXiv category; categories look like cs.CL or hep-th.")
    key = follow_key(kind, value)
    if not key:
        raise InterestError(f"{value!r} has no letters or digits to follow.")
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    with db.session() as session:
        count = (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(FollowRow)
                .where(FollowRow.user_id == user_id, FollowRow.kind == kind)
            )
            or 0
        )
        if count >= MAX_FOLLOWS:
            raise InterestError(f"You follow {count} {kind}s already, the most there can be.")
        session.execute(
            insert(FollowRow)
            .values(user_id=user_id, kind=kind, key=key, value=value, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["user_id", "kind", "key"])
        )
    return Follow(kind, key, value)


def unfollow(db: Database, user_id: int, kind: str, value: str) -> bool:
    """Stop following (``value`` in any spelling of the followed form); returns whether it was followed."""
    with db.session() as session:
        return (
            session.execute(
                sa.delete(FollowRow)
                .where(
                    FollowRow.user_id == user_id,
                    FollowRow.kind == kind,
                    FollowRow.key == follow_key(kind, value),
                )
                .returning(FollowRow.id)
            ).first()
            is not None
        )


def follows_of(db: Database, user_id: int) -> dict[str, list[Follow]]:
    """Every follow of the reader, grouped by kind, in the order they were added."""
    grouped: dict[str, list[Follow]] = {kind: [] for kind in FOLLOW_KINDS}
    with db.sessions() as session:
        rows = session.execute(
            sa.select(FollowRow.kind, FollowRow.key, FollowRow.value)
            .where(FollowRow.user_id == user_id)
            .order_by(FollowRow.id)
        )
        for kind, key, value in rows:
            grouped.setdefault(kind, []).append(Follow(kind, key, value))
    return grouped


RESETTABLE = ("ratings", "follows", "library")


def reset_interests(db: Database, user_id: int, parts: tuple[str, ...] = RESETTABLE) -> dict[str, int]:
    """Forget what the reader told the model (votes and saves stay: they are also public or lists);
    returns how many rows of each part went."""
    unknown = set(parts) - set(RESETTABLE)
    if unknown:
        choices = ", ".join(RESETTABLE)
        raise InterestError(f"Cannot reset {', '.join(sorted(unknown))}; choose from {choices}.")
    tables: dict[str, type[RatingRow | FollowRow | LibraryItemRow]] = {
        "ratings": RatingRow,
        "follows": FollowRow,
        "library": LibraryItemRow,
    }
    removed: dict[str, int] = {}
    with db.session() as session:
        for part in parts:
            table = tables[part]
            deleted = sa.delete(table).where(table.user_id == user_id)
            result = cast(sa.CursorResult[Any], session.execute(deleted))
            removed[part] = result.rowcount
    return removed

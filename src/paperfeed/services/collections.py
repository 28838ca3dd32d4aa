"""Collections: reading lists per user. "Saved" exists for everyone and is created on first use.

Exports are BibTeX (arXiv's own ``@misc`` form with ``eprint``/``archivePrefix``, which biblatex and
natbib both understand) and JSON (the paper fields as stored).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperfeed.domain.bibtex import bibtex_entry
from paperfeed.domain.paper import Paper
from paperfeed.services.community import UnknownPaper
from paperfeed.store import Database
from paperfeed.store.models import CollectionItemRow, CollectionRow, UserRow
from paperfeed.store.papers import get_papers

SAVED = "Saved"
MAX_COLLECTIONS = 100  # per reader, "Saved" included: a bound on what one account can make


class CollectionError(ValueError):
    """A bad collection name or an unknown collection; the message names it."""


@dataclass(frozen=True, slots=True)
class Collection:
    id: int
    name: str
    slug: str
    size: int = 0


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:80]


def create_collection(db: Database, user_id: int, name: str) -> Collection:
    name = name.strip()
    slug = slugify(name)
    if not slug or len(name) > 200:
        raise CollectionError(f"Collection name {name!r} needs letters or digits (at most 200 characters).")
    _ensure_saved(db, user_id)
    try:
        with db.session() as session:
            # The reader's row is locked (PostgreSQL) so two requests at once cannot both pass the count.
            session.execute(sa.select(UserRow.id).where(UserRow.id == user_id).with_for_update())
            count = session.scalar(sa.select(sa.func.count()).where(CollectionRow.user_id == user_id)) or 0
            if count >= MAX_COLLECTIONS:
                raise CollectionError(
                    f"You have {count} collections; a reader can have at most "
                    f"{MAX_COLLECTIONS} collections. Add papers to an existing one."
                )
            row = CollectionRow(user_id=user_id, name=name, slug=slug, created_at=datetime.now(UTC))
            session.add(row)
            session.flush()
            return Collection(row.id, row.name, row.slug)
    except IntegrityError:
        raise CollectionError(f"You already have a collection called {name!r}.") from None


def list_collections(db: Database, user_id: int) -> list[Collection]:
    """The reader's collections, "Saved" first made if missing. Read first: every signed-in page lists them
    (the save menus), and a write on every page view would queue readers behind one another."""
    found = _collections(db, user_id)
    if not any(c.slug == "saved" for c in found):
        _ensure_saved(db, user_id)
        found = _collections(db, user_id)
    return found


def _collections(db: Database, user_id: int) -> list[Collection]:
    with db.sessions() as session:
        rows = session.execute(
            sa.select(CollectionRow, sa.func.count(CollectionItemRow.paper_id))
            .outerjoin(CollectionItemRow, CollectionItemRow.collection_id == CollectionRow.id)
            .where(CollectionRow.user_id == user_id)
            .group_by(CollectionRow.id)
            .order_by(CollectionRow.id)
        ).all()
    return [Collection(row.id, row.name, row.slug, int(n)) for row, n in rows]


def save_paper(db: Database, user_id: int, paper_id: str, slug: str = "saved") -> Collection:
    """Add a paper to a collection (default "Saved"); saving twice keeps one copy."""
    collection = _ensure_saved(db, user_id) if slug == "saved" else get_collection(db, user_id, slug)
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    try:
        with db.session() as session:
            session.execute(
                insert(CollectionItemRow)
                .values(collection_id=collection.id, paper_id=paper_id, added_at=datetime.now(UTC))
                .on_conflict_do_nothing()
            )
    except IntegrityError:
        raise UnknownPaper(paper_id) from None
    return collection


def unsave_paper(db: Database, user_id: int, paper_id: str, slug: str = "saved") -> Collection:
    """Take a paper out of a collection; taking out one that is not there changes nothing."""
    collection = get_collection(db, user_id, slug)
    with db.session() as session:
        session.execute(
            sa.delete(CollectionItemRow).where(
                CollectionItemRow.collection_id == collection.id, CollectionItemRow.paper_id == paper_id
            )
        )
    return collection


def save_to_new(db: Database, user_id: int, paper_id: str, name: str) -> Collection:
    """Save a paper into a collection named ``name``, made now unless the reader already has one of
    that name (the save menu's "new collection" field: typing an existing name just saves there)."""
    try:
        collection = create_collection(db, user_id, name)
    except CollectionError:
        slug = slugify(name)
        if not slug:
            raise
        try:
            collection = get_collection(db, user_id, slug)
        except CollectionError:
            raise CollectionError(
                f"Collection name {name.strip()!r} could not be used; pick another."
            ) from None
    return save_paper(db, user_id, paper_id, collection.slug)


def memberships(db: Database, user_id: int, paper_ids: list[str]) -> dict[str, set[str]]:
    """For the save menus of a page: the slugs of the reader's collections that hold each paper."""
    if not paper_ids:
        return {}
    with db.sessions() as session:
        rows = session.execute(
            sa.select(CollectionItemRow.paper_id, CollectionRow.slug)
            .join(CollectionRow, CollectionRow.id == CollectionItemRow.collection_id)
            .where(CollectionRow.user_id == user_id, CollectionItemRow.paper_id.in_(paper_ids))
        ).all()
    found: dict[str, set[str]] = {}
    for paper_id, slug in rows:
        found.setdefault(paper_id, set()).add(slug)
    return found


def get_collection(db: Database, user_id: int, slug: str) -> Collection:
    if slug == "saved":
        return _ensure_saved(db, user_id)
    with db.sessions() as session:
        row = session.scalar(
            sa.select(CollectionRow).where(CollectionRow.user_id == user_id, CollectionRow.slug == slug)
        )
    if row is None:
        raise CollectionError(f"You have no collection {slug!r}.")
    return Collection(row.id, row.name, row.slug)


def collection_papers(db: Database, collection: Collection) -> list[Paper]:
    """The papers in the order they were added."""
    with db.sessions() as session:
        ids = list(
            session.scalars(
                sa.select(CollectionItemRow.paper_id)
                .where(CollectionItemRow.collection_id == collection.id)
                .order_by(CollectionItemRow.added_at, CollectionItemRow.paper_id)
            )
        )
        papers = get_papers(session, ids)
    return [papers[i] for i in ids if i in papers]


def to_bibtex(papers: list[Paper]) -> str:
    return "\n".join(bibtex_entry(p) for p in papers)


def to_json(collection: Collection, papers: list[Paper]) -> str:
    items = [
        {
            "id": p.id,
            "title": p.title,
            "authors": list(p.authors),
            "abstract": p.abstract,
            "categories": list(p.categories),
            "published": p.published.isoformat() if p.published else None,
            "doi": p.doi,
            "url": p.abs_url,
            "pdf": p.pdf_url,
        }
        for p in papers
    ]
    return json.dumps({"collection": collection.name, "papers": items}, ensure_ascii=False, indent=2)


def _ensure_saved(db: Database, user_id: int) -> Collection:
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    with db.session() as session:
        session.execute(
            insert(CollectionRow)
            .values(user_id=user_id, name=SAVED, slug="saved", created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["user_id", "slug"])
        )
        row = _saved_row(session, user_id)
    return Collection(row.id, row.name, row.slug)


def _saved_row(session: Session, user_id: int) -> CollectionRow:
    return session.scalars(
        sa.select(CollectionRow).where(CollectionRow.user_id == user_id, CollectionRow.slug == "saved")
    ).one()

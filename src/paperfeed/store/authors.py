"""Reads of the ``paper_authors`` table: an author's papers, co-authors and categories, and the other papers
of a paper's authors. Every query starts from the ``author_key`` index, never from a scan of ``papers``."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from paperfeed.store.models import PaperAuthorRow, PaperRow

_NEWEST = (PaperRow.published.desc().nulls_last(), PaperRow.id.desc())


def author_spelling(session: Session, key: str) -> str | None:
    """The name as most of the author's papers spell it ("Jörg Müller" over "Jorg Muller"), or None when
    no stored paper has this author."""
    return session.scalar(
        sa.select(PaperAuthorRow.name)
        .where(PaperAuthorRow.author_key == key)
        .group_by(PaperAuthorRow.name)
        .order_by(sa.func.count().desc(), PaperAuthorRow.name)
        .limit(1)
    )


def count_author_papers(session: Session, key: str) -> int:
    query = sa.select(sa.func.count(sa.distinct(PaperAuthorRow.paper_id))).where(
        PaperAuthorRow.author_key == key
    )
    return session.scalar(query) or 0


def author_paper_ids(session: Session, key: str, *, limit: int, offset: int = 0) -> list[str]:
    """The author's papers, newest published first (ties by id, so pages never overlap)."""
    ids = sa.select(PaperAuthorRow.paper_id).where(PaperAuthorRow.author_key == key).distinct().subquery()
    query = (
        sa.select(PaperRow.id)
        .join(ids, ids.c.paper_id == PaperRow.id)
        .order_by(*_NEWEST)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def coauthors(session: Session, key: str, *, limit: int = 12) -> list[tuple[str, int]]:
    """The author's most frequent co-authors: (a spelling of the name, papers together), most first."""
    mine = sa.select(PaperAuthorRow.paper_id).where(PaperAuthorRow.author_key == key).subquery()
    other = aliased(PaperAuthorRow)
    together = sa.func.count(sa.distinct(other.paper_id))
    query = (
        sa.select(sa.func.min(other.name), together)
        .join(mine, mine.c.paper_id == other.paper_id)
        .where(other.author_key != key)
        .group_by(other.author_key)
        .order_by(together.desc(), sa.func.min(other.name))
        .limit(limit)
    )
    return [(name, count) for name, count in session.execute(query)]


def author_categories(session: Session, key: str, *, limit: int = 8) -> list[tuple[str, int]]:
    """The primary categories of the author's papers, most frequent first."""
    mine = sa.select(PaperAuthorRow.paper_id).where(PaperAuthorRow.author_key == key).distinct().subquery()
    papers = sa.func.count()
    query = (
        sa.select(PaperRow.primary_category, papers)
        .join(mine, mine.c.paper_id == PaperRow.id)
        .where(PaperRow.primary_category.is_not(None))
        .group_by(PaperRow.primary_category)
        .order_by(papers.desc(), PaperRow.primary_category)
        .limit(limit)
    )
    return [(category or "", count) for category, count in session.execute(query)]


def papers_by_any_of(session: Session, keys: Sequence[str], *, besides: str, limit: int) -> list[str]:
    """Ids of the newest papers by any of ``keys`` other than ``besides``: a paper page's "more by the
    authors". Looks at the first 50 authors only: a 500-author collaboration's list would match half the
    field."""
    chosen = list(dict.fromkeys(keys))[:50]
    if not chosen:
        return []
    ids = (
        sa.select(PaperAuthorRow.paper_id)
        .where(PaperAuthorRow.author_key.in_(chosen), PaperAuthorRow.paper_id != besides)
        .distinct()
        .subquery()
    )
    query = sa.select(PaperRow.id).join(ids, ids.c.paper_id == PaperRow.id).order_by(*_NEWEST).limit(limit)
    return list(session.scalars(query))

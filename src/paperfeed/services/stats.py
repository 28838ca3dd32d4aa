"""Corpus statistics: what `paperfeed stats` prints and `/metrics` exports."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from paperfeed.store import Database
from paperfeed.store.models import FeedEntryRow, PaperRow


def corpus_stats(db: Database) -> dict[str, Any]:
    """Counts of papers, and of feed entries per source, per primary category and per month."""
    month = sa.func.substr(sa.cast(FeedEntryRow.featured_on, sa.String), 1, 7)
    with db.sessions() as s:
        papers = s.scalar(sa.select(sa.func.count()).select_from(PaperRow)) or 0
        withdrawn = s.scalar(sa.select(sa.func.count()).where(PaperRow.withdrawn.is_(True))) or 0
        entries = s.scalar(sa.select(sa.func.count()).select_from(FeedEntryRow)) or 0
        by_source = sa.select(FeedEntryRow.source, sa.func.count()).group_by(FeedEntryRow.source)
        sources = dict(s.execute(by_source).all())
        categories = dict(
            s.execute(
                sa.select(PaperRow.primary_category, sa.func.count())
                .group_by(PaperRow.primary_category)
                .order_by(sa.func.count().desc())
            ).all()
        )
        by_month = sa.select(month, sa.func.count()).group_by(month).order_by(month)
        months: dict[str, int] = dict(s.execute(by_month).all())
        first, last = s.execute(
            sa.select(sa.func.min(FeedEntryRow.featured_on), sa.func.max(FeedEntryRow.featured_on))
        ).one()
    return {
        "papers": papers,
        "withdrawn": withdrawn,
        "feed_entries": entries,
        "first_day": first.isoformat() if first else None,
        "last_day": last.isoformat() if last else None,
        "sources": sources,
        "categories": {k or "(none)": v for k, v in categories.items()},
        "months": months,
    }


def category_counts(db: Database, limit: int = 200) -> list[tuple[str, int]]:
    """Primary categories present in the database, most papers first (one grouped query)."""
    count = sa.func.count().label("n")
    with db.sessions() as session:
        rows = session.execute(
            sa.select(PaperRow.primary_category, count)
            .where(PaperRow.primary_category.is_not(None))
            .group_by(PaperRow.primary_category)
            .order_by(count.desc(), PaperRow.primary_category)
            .limit(limit)
        ).all()
    return [(category, int(n)) for category, n in rows if category is not None]  # the query skips NULLs

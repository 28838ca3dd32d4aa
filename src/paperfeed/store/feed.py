"""Feed-entry repository: which papers a day's page shows, idempotently upserted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.store.models import FeedEntryRow
from paperfeed.store.papers import UpsertCounts


def upsert_feed_entries(session: Session, entries: Iterable[FeedEntry]) -> UpsertCounts:
    """One entry per (paper, day): a re-import updates upvotes/submitter if they changed, else nothing."""
    batch = {(e.paper_id, e.featured_on): e for e in entries}
    counts = UpsertCounts()
    if not batch:
        return counts
    paper_ids = list({paper_id for paper_id, _ in batch})
    stored = {
        (row.paper_id, row.featured_on): row
        for row in session.scalars(sa.select(FeedEntryRow).where(FeedEntryRow.paper_id.in_(paper_ids)))
    }
    now = datetime.now(UTC)
    for key, entry in batch.items():
        row = stored.get(key)
        if row is None:
            session.add(
                FeedEntryRow(
                    paper_id=entry.paper_id,
                    featured_on=entry.featured_on,
                    source=entry.source.value,
                    submitted_by=entry.submitted_by,
                    external_upvotes=entry.external_upvotes,
                    num_comments=entry.num_comments,
                    created_at=now,
                )
            )
            counts.new += 1
            continue
        wanted = (
            entry.submitted_by or row.submitted_by,
            max(entry.external_upvotes, row.external_upvotes),
            max(entry.num_comments, row.num_comments),
        )
        if wanted == (row.submitted_by, row.external_upvotes, row.num_comments):
            counts.unchanged += 1
            continue
        row.submitted_by, row.external_upvotes, row.num_comments = wanted
        counts.updated += 1
    session.flush()
    return counts


def entries_for_paper(session: Session, paper_id: str) -> list[FeedEntry]:
    rows = session.scalars(
        sa.select(FeedEntryRow).where(FeedEntryRow.paper_id == paper_id).order_by(FeedEntryRow.featured_on)
    )
    return [row_to_entry(row) for row in rows]


def entries_between(session: Session, first: date, last: date) -> list[FeedEntry]:
    """Entries featured from ``first`` to ``last`` inclusive (a day, an ISO week or a month)."""
    rows = session.scalars(
        sa.select(FeedEntryRow)
        .where(FeedEntryRow.featured_on.between(first, last))
        .order_by(FeedEntryRow.featured_on, FeedEntryRow.id)
    )
    return [row_to_entry(row) for row in rows]


def latest_feed_day(session: Session, *, not_after: date | None = None) -> date | None:
    query = sa.select(sa.func.max(FeedEntryRow.featured_on))
    if not_after is not None:
        query = query.where(FeedEntryRow.featured_on <= not_after)
    return session.scalar(query)


def row_to_entry(row: FeedEntryRow) -> FeedEntry:
    return FeedEntry(
        paper_id=row.paper_id,
        featured_on=row.featured_on,
        source=FeedSource(row.source),
        submitted_by=row.submitted_by,
        external_upvotes=row.external_upvotes,
        num_comments=row.num_comments,
    )

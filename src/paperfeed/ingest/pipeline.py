"""The one way records reach the database: batched, idempotent, counted.

A source is any iterable of :class:`Record` / :class:`Rejected`. Batches are flushed and expunged as they go
so memory stays flat for multi-million-line snapshots; whether the batches are committed one by one (network
harvests, which checkpoint) or all at the end (local files, which are all-or-nothing) is the caller's
choice of ``session``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy.orm import Session

from paperfeed.ingest.conflicts import SeenRecords
from paperfeed.ingest.records import Record, Rejected
from paperfeed.store.feed import upsert_feed_entries
from paperfeed.store.papers import UpsertCounts, upsert_papers

MAX_REPORTED_REJECTIONS = 100


@dataclass
class IngestSummary:
    """What an ingest did: papers new / updated / unchanged, records rejected, feed entries added."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    feed_new: int = 0
    feed_updated: int = 0
    rejections: list[Rejected] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)
    noted: int = 0  # records stored with something cut to fit (see ingest.records)
    notes: list[str] = field(default_factory=list)  # the first of them: where, and what was cut

    def add_papers(self, counts: UpsertCounts) -> None:
        self.new += counts.new
        self.updated += counts.updated
        self.unchanged += counts.unchanged
        self.changed_ids.extend(counts.changed_ids)

    def add_rejection(self, rejection: Rejected) -> None:
        self.rejected += 1
        if len(self.rejections) < MAX_REPORTED_REJECTIONS:
            self.rejections.append(rejection)

    def add_note(self, record: Record) -> None:
        self.noted += 1
        if len(self.notes) < MAX_REPORTED_REJECTIONS:
            self.notes.append(f"{record.where or 'record ' + record.paper.id}: {'; '.join(record.notes)}")

    def merge(self, other: IngestSummary) -> None:
        self.add_papers(UpsertCounts(other.new, other.updated, other.unchanged, other.changed_ids))
        self.feed_new += other.feed_new
        self.feed_updated += other.feed_updated
        for rejection in other.rejections:
            self.add_rejection(rejection)
        self.rejected += other.rejected - len(other.rejections)
        self.notes.extend(other.notes[: MAX_REPORTED_REJECTIONS - len(self.notes)])
        self.noted += other.noted

    def as_counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "feed_new": self.feed_new,
            "feed_updated": self.feed_updated,
        }


def store_batch(session: Session, records: list[Record], summary: IngestSummary) -> None:
    """Upsert one batch of records (papers first, then their feed entries) into ``session``."""
    summary.add_papers(upsert_papers(session, [r.paper for r in records]))
    entries = [r.feed_entry for r in records if r.feed_entry is not None]
    feed = upsert_feed_entries(session, entries)
    summary.feed_new += feed.new
    summary.feed_updated += feed.updated


def run_ingest(
    session: Session,
    items: Iterable[Record | Rejected],
    *,
    batch_size: int = 500,
    on_batch: Callable[[IngestSummary], None] | None = None,
) -> IngestSummary:
    """Store every record of ``items`` through ``session``; flushes per batch and never commits.

    ``on_batch`` runs after each batch is flushed: the CLI advances its progress bar there, and callers
    that want per-batch commits (with a checkpoint) do them there. Two records of ``items`` that disagree
    about the same paper are a rejection of the later one (see :mod:`paperfeed.ingest.conflicts`).
    """
    summary = IngestSummary()
    iterator = iter(items)
    seen = SeenRecords()
    try:
        while chunk := list(islice(iterator, batch_size)):
            records: list[Record] = []
            for item in chunk:
                if isinstance(item, Rejected):
                    summary.add_rejection(item)
                    continue
                if item.notes and (not records or records[-1].where != item.where or not item.where):
                    summary.add_note(item)  # once per source record, not per feed entry of it
                records.append(item)
            records, conflicts = seen.check(records)
            for conflict in conflicts:
                summary.add_rejection(conflict)
            store_batch(session, records, summary)
            session.expunge_all()  # keep the identity map from growing with the input
            if on_batch is not None:
                on_batch(summary)
    finally:
        seen.close()
    return summary

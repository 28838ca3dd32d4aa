"""Resumable jobs: a row per (kind, key) holding the checkpoint a restarted run continues from.

The checkpoint is committed in the same transaction as the data it covers, so after a crash the
database never claims more progress than it holds (and never less than one page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.store.models import IngestJobRow


@dataclass(frozen=True, slots=True)
class JobState:
    id: int
    kind: str
    key: str
    status: str
    checkpoint: dict[str, Any]
    counts: dict[str, int]
    error: str | None
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None


def start_job(session: Session, kind: str, key: str) -> JobState:
    """The job's row, created if new; a finished or failed job with the same key is restarted fresh."""
    now = datetime.now(UTC)
    row = session.scalar(sa.select(IngestJobRow).where(IngestJobRow.kind == kind, IngestJobRow.key == key))
    if row is None:
        row = IngestJobRow(
            kind=kind, key=key, status="running", checkpoint={}, counts={}, started_at=now, updated_at=now
        )
        session.add(row)
    elif row.status != "running":
        row.status, row.checkpoint, row.counts, row.error = "running", {}, {}, None
        row.started_at, row.updated_at, row.finished_at = now, now, None
    session.flush()
    return _state(row)


def save_checkpoint(
    session: Session, job_id: int, checkpoint: dict[str, Any], counts: dict[str, int]
) -> None:
    row = session.get_one(IngestJobRow, job_id)
    row.checkpoint = dict(checkpoint)
    row.counts = dict(counts)
    row.updated_at = datetime.now(UTC)


def finish_job(session: Session, job_id: int, counts: dict[str, int], *, error: str | None = None) -> None:
    row = session.get_one(IngestJobRow, job_id)
    now = datetime.now(UTC)
    row.status = "failed" if error else "done"
    row.counts = dict(counts)
    row.error = error
    row.updated_at = row.finished_at = now


def list_jobs(session: Session, *, limit: int = 50) -> list[JobState]:
    rows = session.scalars(sa.select(IngestJobRow).order_by(IngestJobRow.updated_at.desc()).limit(limit))
    return [_state(row) for row in rows]


def _state(row: IngestJobRow) -> JobState:
    return JobState(
        id=row.id,
        kind=row.kind,
        key=row.key,
        status=row.status,
        checkpoint=dict(row.checkpoint or {}),
        counts=dict(row.counts or {}),
        error=row.error,
        started_at=row.started_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
    )

"""Paper repository: idempotent batch upserts and reads.

Upserting is hash-based: a paper is merged with what is stored (see ``domain.paper.merge_papers``), and
written only if the merged result differs from the stored content hash. Re-running any ingest therefore
changes nothing and reports every record as unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.domain.authors import author_key
from paperfeed.domain.paper import Paper, PaperVersion, merge_papers
from paperfeed.store.models import PaperAuthorRow, PaperRow


@dataclass
class UpsertCounts:
    """How many records of a batch were new, changed something, or changed nothing."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list)

    def add(self, other: UpsertCounts) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.changed_ids.extend(other.changed_ids)


def upsert_papers(session: Session, papers: Iterable[Paper]) -> UpsertCounts:
    """Insert new papers and merge known ones; returns the counts and the ids that changed."""
    batch: dict[str, Paper] = {}
    for paper in papers:
        batch[paper.id] = merge_papers(batch[paper.id], paper) if paper.id in batch else paper
    counts = UpsertCounts()
    if not batch:
        return counts
    stored = {row.id: row for row in session.scalars(sa.select(PaperRow).where(PaperRow.id.in_(list(batch))))}
    now = datetime.now(UTC)
    authored: dict[str, tuple[str, ...]] = {}  # papers whose author rows must be (re)written
    for paper_id, incoming in batch.items():
        row = stored.get(paper_id)
        if row is None:
            session.add(_new_row(incoming, now))
            counts.new += 1
            counts.changed_ids.append(paper_id)
            authored[paper_id] = incoming.authors
            continue
        merged = merge_papers(row_to_paper(row), incoming)
        digest = merged.content_hash()
        if digest == row.content_hash:
            counts.unchanged += 1
            continue
        if tuple(row.authors or ()) != merged.authors:
            authored[paper_id] = merged.authors
        _fill_row(row, merged, digest)
        row.modified_at = now
        counts.updated += 1
        counts.changed_ids.append(paper_id)
    session.flush()
    _write_authors(session, authored)
    return counts


def _write_authors(session: Session, authored: dict[str, tuple[str, ...]]) -> None:
    """Replace the ``paper_authors`` rows of these papers: every write of ``papers.authors`` goes through
    :func:`upsert_papers`, so the table cannot drift from the papers' own lists."""
    if not authored:
        return
    ids = list(authored)
    for start in range(0, len(ids), 500):  # bounded IN lists
        session.execute(
            sa.delete(PaperAuthorRow).where(PaperAuthorRow.paper_id.in_(ids[start : start + 500]))
        )
    values = [
        {"paper_id": paper_id, "position": position, "author_key": key, "name": name}
        for paper_id, authors in authored.items()
        for position, name in enumerate(authors)
        if (key := author_key(name))
    ]
    if values:
        session.execute(sa.insert(PaperAuthorRow), values)


def get_paper(session: Session, paper_id: str) -> Paper | None:
    row = session.get(PaperRow, paper_id)
    return row_to_paper(row) if row else None


def get_papers(session: Session, paper_ids: Sequence[str]) -> dict[str, Paper]:
    """Papers by id (missing ids are simply absent), for pages that show a ranked list of ids."""
    if not paper_ids:
        return {}
    rows = session.scalars(sa.select(PaperRow).where(PaperRow.id.in_(list(paper_ids))))
    return {row.id: row_to_paper(row) for row in rows}


def iter_papers(session: Session, *, batch_size: int = 1000) -> Iterator[Paper]:
    """Every stored paper in id order, streamed in keyset pages (constant memory for exports)."""
    last = ""
    while True:
        rows = session.scalars(
            sa.select(PaperRow).where(PaperRow.id > last).order_by(PaperRow.id).limit(batch_size)
        ).all()
        if not rows:
            return
        for row in rows:
            yield row_to_paper(row)
        last = rows[-1].id
        session.expunge_all()


def count_papers(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(PaperRow)) or 0


def row_to_paper(row: PaperRow) -> Paper:
    return Paper(
        id=row.id,
        title=row.title,
        abstract=row.abstract or "",
        authors=tuple(row.authors or ()),
        categories=tuple(row.categories or ()),
        version=row.version,
        versions=tuple(
            PaperVersion(v["version"], date.fromisoformat(v["created"]) if v.get("created") else None)
            for v in row.versions or ()
        ),
        published=row.published,
        updated=row.updated,
        doi=row.doi,
        journal_ref=row.journal_ref,
        comments=row.comments,
        license=row.license,
        github_repo=row.github_repo,
        project_page=row.project_page,
        withdrawn=bool(row.withdrawn),
    )


def _new_row(paper: Paper, now: datetime) -> PaperRow:
    row = PaperRow(id=paper.id, created_at=now, modified_at=now, upvotes=0)
    _fill_row(row, paper, paper.content_hash())
    return row


def _fill_row(row: PaperRow, paper: Paper, digest: str) -> None:
    row.version = paper.version
    row.title = paper.title
    row.abstract = paper.abstract
    row.authors = list(paper.authors)
    row.categories = list(paper.categories)
    row.primary_category = paper.primary_category
    row.versions = [
        {"version": v.version, "created": v.created.isoformat() if v.created else None}
        for v in paper.versions
    ]
    row.published = paper.published
    row.updated = paper.updated
    row.doi = paper.doi
    row.journal_ref = paper.journal_ref
    row.comments = paper.comments
    row.license = paper.license
    row.github_repo = paper.github_repo
    row.project_page = paper.project_page
    row.withdrawn = paper.withdrawn
    row.content_hash = digest

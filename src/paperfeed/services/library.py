"""A reader's imported library: the quickest way to tell paperfeed what one reads.

An export (BibTeX/BibLaTeX, RIS, CSL-JSON or a list of arXiv ids — ``ingest/library.py`` parses it) is
matched entry by entry to stored papers: by arXiv id, then DOI, then normalised title (through the keyword
index, so it costs the same at a million papers). An entry that matches nothing is kept with its own title
and abstract and embedded like a paper (in the background on the web, at once from the CLI), so a library of
older or non-arXiv papers still shapes the ranking. Each entry has a ``match_key`` taken from the entry itself
(its arXiv id, DOI or title), unique per reader: importing the same export again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from paperfeed.embed import document_text, get_encoder, model_key
from paperfeed.ingest.library import LibraryEntry, RejectedEntry, parse_library, title_key
from paperfeed.search import keyword
from paperfeed.search.query import parse_query
from paperfeed.store import Database
from paperfeed.store.models import LibraryItemRow, PaperRow
from paperfeed.store.papers import get_papers

MAX_ENTRIES = 20_000  # per import: a very large personal library, and a bound on one request's work
EMBED_BATCH = 32


@dataclass
class ImportReport:
    format: str
    matched: dict[str, int] = field(default_factory=lambda: {"arxiv": 0, "doi": 0, "title": 0})
    unmatched: int = 0  # kept with their own title and abstract
    unchanged: int = 0  # already in the reader's library (a re-import)
    rejected: list[RejectedEntry] = field(default_factory=list)

    @property
    def matched_total(self) -> int:
        return sum(self.matched.values())

    def summary(self) -> str:
        parts = [f"{self.matched_total} matched to stored papers"]
        if self.matched_total:
            parts[0] += " (" + ", ".join(f"{n} by {how}" for how, n in self.matched.items() if n) + ")"
        parts.append(f"{self.unmatched} kept unmatched (ranked by their own title and abstract)")
        parts.append(f"{self.unchanged} already in your library")
        parts.append(f"{len(self.rejected)} rejected")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class LibraryItem:
    id: int
    title: str
    paper_id: str | None
    matched_by: str | None
    year: int | None
    embedded: bool


def import_library(
    db: Database, user_id: int, data: bytes | str, *, now: datetime | None = None
) -> ImportReport:
    """Parse, match and store an export; raises ``LibraryFormatError`` if the whole file is unreadable."""
    now = now or datetime.now(UTC)
    parsed = parse_library(data)
    report = ImportReport(parsed.format, rejected=list(parsed.rejected))
    entries = parsed.entries[:MAX_ENTRIES]
    for entry in parsed.entries[MAX_ENTRIES:]:
        report.rejected.append(
            RejectedEntry(
                entry.position,
                entry.key or entry.title[:40],
                f"more than {MAX_ENTRIES:,} entries in one import",
            )
        )
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    with db.session() as session:
        matches = _match(session, entries)
        seen: set[str] = set()
        for entry in entries:
            key = _match_key(entry)
            if key is None:
                report.rejected.append(
                    RejectedEntry(
                        entry.position, entry.key or "?", "no title, arXiv id or DOI to recognise it by"
                    )
                )
                continue
            if key in seen:
                report.unchanged += 1
                continue
            seen.add(key)
            paper_id, how = matches.get(entry.position, (None, None))
            added = session.execute(
                insert(LibraryItemRow)
                .values(
                    user_id=user_id,
                    paper_id=paper_id,
                    match_key=key,
                    matched_by=how,
                    title=entry.title,
                    abstract=entry.abstract,
                    authors=list(entry.authors),
                    arxiv_id=entry.arxiv_id,
                    doi=entry.doi,
                    year=entry.year,
                    added_at=entry.added_at or now,
                    imported_at=now,
                )
                .on_conflict_do_nothing(index_elements=["user_id", "match_key"])
                .returning(LibraryItemRow.id)
            ).first()
            if added is None:
                report.unchanged += 1
            elif how is None:
                report.unmatched += 1
            else:
                report.matched[how] += 1
    return report


def _match_key(entry: LibraryEntry) -> str | None:
    if entry.arxiv_id:
        return f"arxiv:{entry.arxiv_id}"
    if entry.doi:
        return f"doi:{entry.doi.lower()}"[:300]
    title = title_key(entry.title)
    return f"title:{title}"[:300] if title else None


def _match(session: Session, entries: list[LibraryEntry]) -> dict[int, tuple[str, str]]:
    """entry position → (stored paper id, how it matched)."""
    found: dict[int, tuple[str, str]] = {}
    by_id = [e.arxiv_id for e in entries if e.arxiv_id]
    stored = set(session.scalars(sa.select(PaperRow.id).where(PaperRow.id.in_(by_id)))) if by_id else set()
    for entry in entries:
        if entry.arxiv_id in stored:
            found[entry.position] = (entry.arxiv_id, "arxiv")
    dois = {e.doi.lower() for e in entries if e.doi and e.position not in found}
    if dois:
        rows = session.execute(
            sa.select(PaperRow.id, sa.func.lower(PaperRow.doi)).where(sa.func.lower(PaperRow.doi).in_(dois))
        )
        by_doi = {doi: pid for pid, doi in rows}
        for entry in entries:
            if entry.position not in found and entry.doi and entry.doi.lower() in by_doi:
                found[entry.position] = (by_doi[entry.doi.lower()], "doi")
    for entry in entries:
        if entry.position not in found and entry.title:
            paper_id = _by_title(session, entry.title)
            if paper_id:
                found[entry.position] = (paper_id, "title")
    return found


def _by_title(session: Session, title: str) -> str | None:
    """A stored paper whose normalised title equals this one: the keyword index finds candidates, the
    normalised form decides (so LaTeX, accents, case and punctuation do not matter)."""
    wanted = title_key(title)
    if len(wanted) < 8:  # "Introduction" would match too much by chance
        return None
    query = parse_query(wanted)
    if not query.terms:
        return None
    hits = keyword.keyword_search(session, query, limit=5)
    papers = get_papers(session, [pid for pid, _ in hits])
    for pid, _ in hits:
        if pid in papers and title_key(papers[pid].title) == wanted:
            return pid
    return None


def embed_library_pending(
    db: Database, *, on_progress: Callable[[int, int], None] | None = None, limit: int | None = None
) -> int:
    """Embed unmatched library entries that have no vector of the current model; returns how many."""
    relink_library(db)
    encoder = get_encoder()
    model = model_key(encoder)
    pending = (
        LibraryItemRow.paper_id.is_(None)
        & (LibraryItemRow.title != "")
        & ((LibraryItemRow.vector_model.is_(None)) | (LibraryItemRow.vector_model != model))
    )
    with db.sessions() as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(LibraryItemRow).where(pending)) or 0
    total = min(total, limit) if limit is not None else total
    done = 0
    while done < total:
        with db.sessions() as session:
            batch = session.execute(
                sa.select(LibraryItemRow.id, LibraryItemRow.title, LibraryItemRow.abstract)
                .where(pending)
                .order_by(LibraryItemRow.id)
                .limit(min(EMBED_BATCH, total - done))
            ).all()
        if not batch:
            break
        vectors = encoder.encode_documents([document_text(r.title, r.abstract) for r in batch])
        with db.session() as session:
            for row, vector in zip(batch, vectors, strict=True):
                session.execute(
                    sa.update(LibraryItemRow)
                    .where(LibraryItemRow.id == row.id)
                    .values(vector=np.asarray(vector, dtype=np.float32).tobytes(), vector_model=model)
                )
        done += len(batch)
        if on_progress:
            on_progress(done, total)
    return done


def relink_library(db: Database) -> int:
    """Point entries that name an arXiv id at the paper once it is stored (an id list imported before the
    harvest caught up); returns how many were linked. An indexed join, run with every embedding round."""
    stored = sa.select(PaperRow.id).where(PaperRow.id == LibraryItemRow.arxiv_id).exists()
    with db.session() as session:
        result = cast(
            sa.CursorResult[Any],
            session.execute(
                sa.update(LibraryItemRow)
                .where(LibraryItemRow.paper_id.is_(None), LibraryItemRow.arxiv_id.is_not(None), stored)
                .values(paper_id=LibraryItemRow.arxiv_id, matched_by="arxiv")
            ),
        )
        return result.rowcount


def library_items(db: Database, user_id: int, *, limit: int = 500) -> list[LibraryItem]:
    """The reader's library, most recently added first (for the settings page)."""
    with db.sessions() as session:
        rows = session.execute(
            sa.select(
                LibraryItemRow.id,
                LibraryItemRow.title,
                LibraryItemRow.paper_id,
                LibraryItemRow.matched_by,
                LibraryItemRow.year,
                LibraryItemRow.vector_model,
            )
            .where(LibraryItemRow.user_id == user_id)
            .order_by(LibraryItemRow.added_at.desc(), LibraryItemRow.id.desc())
            .limit(limit)
        ).all()
        titles = get_papers(session, [r.paper_id for r in rows if r.paper_id and not r.title])
    return [
        LibraryItem(
            r.id,
            r.title or (titles[r.paper_id].title if r.paper_id in titles else r.paper_id or ""),
            r.paper_id,
            r.matched_by,
            r.year,
            r.vector_model is not None or r.paper_id is not None,
        )
        for r in rows
    ]


def count_library(db: Database, user_id: int) -> int:
    with db.sessions() as session:
        return (
            session.scalar(
                sa.select(sa.func.count())
                .select_from(LibraryItemRow)
                .where(LibraryItemRow.user_id == user_id)
            )
            or 0
        )


def remove_library_item(db: Database, user_id: int, item_id: int) -> bool:
    with db.session() as session:
        return (
            session.execute(
                sa.delete(LibraryItemRow)
                .where(LibraryItemRow.user_id == user_id, LibraryItemRow.id == item_id)
                .returning(LibraryItemRow.id)
            ).first()
            is not None
        )

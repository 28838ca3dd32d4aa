"""Small made-up papers, and putting them in a database the way the ingest pipeline does."""

from __future__ import annotations

from datetime import datetime

from paperfeed.domain.paper import Paper
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.ingest.records import Record
from paperfeed.store import Database


def paper(n: int, title: str, abstract: str = "", **fields: object) -> Paper:
    return Paper(
        id=f"2601.{n:05d}",
        title=title,
        abstract=abstract or f"We study {title.lower()} in depth.",
        authors=fields.pop("authors", ("Ada Lovelace", "Jörg Müller")),  # type: ignore[arg-type]
        categories=fields.pop("categories", ("cs.LG",)),  # type: ignore[arg-type]
        published=fields.pop("published", datetime(2026, 1, 5).date()),
        **fields,
    )  # type: ignore[arg-type]


def ingest(db: Database, papers: list[Paper]) -> None:
    with db.session() as session:
        run_ingest(session, [Record(p) for p in papers])

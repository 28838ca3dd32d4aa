"""The search corpus: every 17th paper of the bundled sample (~200, spread over its days) and their bundled
real MiniLM vectors, and how to fill a database with it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from paperfeed.domain.paper import Paper
from paperfeed.embed import current_model_key
from paperfeed.embed.vector_file import read_vector_file, write_vector_file
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.ingest.records import Record
from paperfeed.services.search import load_precomputed_vectors
from paperfeed.store import Database
from paperfeed.store.papers import upsert_papers
from paperfeed.store.vectors import save_vectors

DATA = Path(__file__).resolve().parents[2] / "src" / "paperfeed" / "data"


@dataclass(frozen=True)
class Corpus:
    records: list[Record]
    vectors_path: Path

    def paper(self, paper_id: str) -> Paper:
        return next(r.paper for r in self.records if r.paper.id == paper_id)


def load_corpus(folder: Path) -> Corpus:
    """Every 17th paper of the bundled sample and their bundled vectors (written to a file in ``folder``)."""
    records = [r for r in read_jsonl(DATA / "sample-papers.jsonl.gz") if isinstance(r, Record)][::17]
    bundled = read_vector_file(DATA / "sample-vectors.npz")
    row = {pid: i for i, pid in enumerate(bundled.ids)}
    ids = [r.paper.id for r in records]
    path = folder / "corpus-vectors.npz"
    write_vector_file(path, ids, bundled.vectors[[row[i] for i in ids]], bundled.model)
    return Corpus(records, path)


def fill(database: Database, corpus: Corpus, *, vectors: bool = True) -> Database:
    database.migrate()
    with database.session() as session:
        run_ingest(session, corpus.records)
    if vectors:
        assert load_precomputed_vectors(database, corpus.vectors_path) == len(corpus.records)
    return database


def add_embedded_paper(
    database: Database, paper: Paper, vector: np.ndarray, *, dropping: str | None = None
) -> None:
    """Store ``paper``, then its vector in one commit with (optionally) the deletion of ``dropping``'s vector,
    as another node's ingest and embedder would."""
    with database.session() as session:
        upsert_papers(session, [paper])
    with database.session() as session:
        digest = session.execute(
            sa.text("SELECT content_hash FROM papers WHERE id = :id"), {"id": paper.id}
        ).scalar_one()
        if dropping is not None:
            session.execute(sa.text("DELETE FROM paper_vectors WHERE paper_id = :id"), {"id": dropping})
        save_vectors(session, current_model_key(), [(paper.id, digest)], vector[None, :])

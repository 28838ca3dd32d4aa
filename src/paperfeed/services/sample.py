"""The bundled sample: a few thousand real arXiv papers shipped in the package, so that a fresh install
serves a living Daily Papers site offline at once.

Loading is remembered as a finished job keyed by the file's digest, so `paperfeed demo` imports it once and
starts instantly afterwards; a newer sample (another digest) is merged in idempotently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.pipeline import IngestSummary
from paperfeed.search.indexing import load_precomputed_vectors
from paperfeed.services.files import import_records
from paperfeed.store import Database
from paperfeed.store.jobs import finish_job, list_jobs, start_job

SAMPLE_JOB = "sample"


def sample_path() -> Path:
    return Path(str(resources.files("paperfeed") / "data" / "sample-papers.jsonl.gz"))


def sample_vectors_path() -> Path:
    """The sample's embeddings, precomputed with the default encoder and stamped with its name and version."""
    return Path(str(resources.files("paperfeed") / "data" / "sample-vectors.npz"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def sample_loaded(db: Database) -> bool:
    key = _digest(sample_path())
    with db.sessions() as session:
        return any(j.kind == SAMPLE_JOB and j.key == key and j.status == "done" for j in list_jobs(session))


def load_sample(db: Database, *, on_bytes: Callable[[int], None] | None = None) -> IngestSummary | None:
    """Import the bundled sample and its vectors unless this exact sample was loaded before.

    Returns None if skipped. Vectors of another model than the current one are not loaded; the background
    embedder then computes them.
    """
    if sample_loaded(db):
        return None
    path = sample_path()
    summary = import_records(db, read_jsonl(path, on_bytes=on_bytes))
    load_precomputed_vectors(db, sample_vectors_path())
    with db.session() as session:
        job = start_job(session, SAMPLE_JOB, _digest(path))
        finish_job(session, job.id, summary.as_counts())
    return summary

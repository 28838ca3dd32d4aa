"""Keeping the vectors in step with the papers: the background embedding job and precomputed vector files.

Embedding costs ~45 ms per abstract on two cores, so it never happens inside a web request or a plain
ingest: ``paperfeed reindex`` (or a scheduler) runs :func:`embed_pending`, which commits every batch, so a
killed run resumes where it stopped and a search in the meantime already uses what is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from paperfeed.embed import current_model_key, document_text, get_encoder, model_key
from paperfeed.embed.vector_file import read_vector_file
from paperfeed.search.vector_index import forget_indexes, remove_saved
from paperfeed.store import Database
from paperfeed.store.vectors import (
    content_hashes,
    count_pending,
    delete_vectors,
    pending_papers,
    save_vectors,
    without_vector,
)

log = logging.getLogger(__name__)
EMBED_BATCH = 64  # papers per committed batch: small enough to lose little on a kill

ProgressCallback = Callable[[int, int], None]  # (papers embedded so far, papers pending at the start)


def embed_pending(
    db: Database, *, on_progress: ProgressCallback | None = None, limit: int | None = None
) -> int:
    """Embed papers that lack a vector of the current model (or changed since); returns how many."""
    encoder = get_encoder()
    model = model_key(encoder)
    with db.session() as session:
        total = count_pending(session, model)
    if limit is not None:
        total = min(total, limit)
    done, cursor = 0, ""
    while done < total:
        with db.session() as session:
            batch = pending_papers(session, model, limit=min(EMBED_BATCH, total - done), after=cursor)
        if not batch:
            break
        cursor = batch[-1].id
        vectors = encoder.encode_documents([document_text(p.title, p.abstract) for p in batch])
        with db.session() as session:
            # a paper deleted meanwhile is skipped; one edited meanwhile keeps its old hash, so stays pending
            present = content_hashes(session, [p.id for p in batch])
            keep = [i for i, p in enumerate(batch) if p.id in present]
            save_vectors(session, model, [(batch[i].id, batch[i].content_hash) for i in keep], vectors[keep])
        done += len(batch)
        if on_progress is not None:
            on_progress(done, total)
    return done


def pending_count(db: Database) -> int:
    """How many papers :func:`embed_pending` would embed now."""
    with db.session() as session:
        return count_pending(session, current_model_key())


def drop_vectors(db: Database) -> int:
    """Delete every stored vector (all models) so that a full re-index starts from nothing."""
    with db.session() as session:
        dropped = delete_vectors(session)
    forget_indexes(db.url)
    remove_saved(db.url)
    return dropped


def load_precomputed_vectors(db: Database, path: Path) -> int:
    """Store the vectors of ``path`` for papers that are in the database and have none; returns how many.

    A file made with another model (or model version) is ignored: its vectors would not be comparable with
    the queries of the current one. Run right after importing the papers the file belongs to.
    """
    vector_file = read_vector_file(path)
    model = current_model_key()
    if vector_file.model != model:
        log.warning(
            "%s holds vectors of %s, not of the current model %s: ignored", path, vector_file.model, model
        )
        return 0
    position = {paper_id: i for i, paper_id in enumerate(vector_file.ids)}
    stored = 0
    for start in range(0, len(vector_file.ids), 2000):
        with db.session() as session:
            rows = list(without_vector(session, model, vector_file.ids[start : start + 2000]).items())
            if rows:
                save_vectors(session, model, rows, vector_file.vectors[[position[pid] for pid, _ in rows]])
        stored += len(rows)
    return stored

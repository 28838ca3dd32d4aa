"""`paperfeed reindex --engine ray`: embedding a large backlog on a Ray cluster instead of in this process.

This process (the driver) is the only one that touches the database. It reads the pending papers in id
order (keyset pagination, as :func:`~paperfeed.search.indexing.embed_pending` does), sends them in batches
to encoder actors (``embed/ray_engine.py``), keeps at most two batches per actor under way so that no actor
waits for the next one while none piles up, and stores each batch's vectors as it comes back, under the
same model key, with the same ``save_vectors``. So it is resumable the same way: a stopped run loses at most
the batches under way, and the next run takes only papers without a current vector.

It holds the ``embedder`` lease (the one ``paperfeed serve``'s background embedder takes) for the whole run,
so a node's background embedder and a Ray run never embed the same papers at the same time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from paperfeed.embed import current_model_key, document_text
from paperfeed.embed.ray_engine import RayEncoderPool, RayUnavailable, import_ray
from paperfeed.search.indexing import EMBED_BATCH
from paperfeed.store import Database
from paperfeed.store.leases import acquire, current_holder, holder_name, release, renew
from paperfeed.store.vectors import content_hashes, count_pending, pending_papers, save_vectors

EMBED_LEASE = "embedder"  # one embedder at a time across all nodes: this run or `serve`'s background one
EMBED_LEASE_TTL = timedelta(minutes=10)  # renewed after every stored batch (seconds each)
BATCHES_PER_ACTOR = 2  # under way at once: one running, one waiting, so an actor never idles on the driver

ProgressCallback = Callable[[int, int], None]  # (papers embedded so far, papers to embed in this run)


class EmbedderBusy(ValueError):
    """Another embedder (a server's background one, or another reindex) holds the lease."""


@dataclass
class RayEmbedReport:
    """What a run did and what it cost; the overheads are what a Ray run pays before its first vector."""

    embedded: int = 0
    actors: int = 0
    device: str = ""
    providers: tuple[str, ...] = ()
    cluster_seconds: float = 0.0  # starting (or joining) the cluster
    load_seconds: float = 0.0  # starting every actor and loading its model, in parallel
    actor_load_seconds: list[float] = field(default_factory=list)  # model load inside each actor
    embed_seconds: float = 0.0  # from the first batch sent to the last vector stored


def embed_pending_on_ray(
    db: Database,
    *,
    address: str | None = None,
    actors: int | None = None,
    limit: int | None = None,
    batch_size: int = EMBED_BATCH,
    on_progress: ProgressCallback | None = None,
) -> RayEmbedReport:
    """Embed the papers lacking a current vector on a Ray cluster; see the module docstring.

    Raises :class:`RayUnavailable` (Ray missing, cluster unreachable, workers on another model) and
    :class:`EmbedderBusy` (another embedder is running) before embedding anything."""
    import_ray()  # a missing Ray is said before anything else happens
    model = current_model_key()
    holder = f"{holder_name()} (reindex --engine ray)"
    if not acquire(db, EMBED_LEASE, holder, EMBED_LEASE_TTL):
        running = current_holder(db, EMBED_LEASE)
        raise EmbedderBusy(
            f"another embedder is running ({running[0] if running else 'it just finished'}): "
            "run this again when it is done"
        )
    try:
        with db.session() as session:
            total = count_pending(session, model)
        total = total if limit is None else min(total, limit)
        report = RayEmbedReport()
        if total == 0:
            return report  # nothing to do: no cluster is started for nothing
        pool = RayEncoderPool(address=address, actors=actors)
        try:
            _describe(report, pool, model)
            renew(db, EMBED_LEASE, holder, EMBED_LEASE_TTL)  # a remote cluster may take a while to start
            started = time.perf_counter()

            def stored(done: int) -> None:
                if not renew(db, EMBED_LEASE, holder, EMBED_LEASE_TTL):
                    raise EmbedderBusy("the embedder lease ran out and another embedder took it: stopped")
                if on_progress is not None:
                    on_progress(done, total)

            report.embedded = _feed(db, pool, model, total, batch_size, stored)
            report.embed_seconds = time.perf_counter() - started
        finally:
            pool.close()
        return report
    finally:
        release(db, EMBED_LEASE, holder)


def _describe(report: RayEmbedReport, pool: RayEncoderPool, model: str) -> None:
    """Fill the report from the started pool; workers on another model would store incomparable vectors."""
    others = {w.model for w in pool.workers} - {model}
    if others:
        raise RayUnavailable(
            f"the Ray workers embed with {', '.join(sorted(others))}, this database's vectors are "
            f"{model}: install this paperfeed version on every worker node"
        )
    report.actors, report.device = pool.size, pool.device
    report.providers = tuple(sorted({p for w in pool.workers for p in w.providers}))
    report.cluster_seconds, report.load_seconds = pool.cluster_seconds, pool.load_seconds
    report.actor_load_seconds = [w.load_seconds for w in pool.workers]


def _feed(
    db: Database,
    pool: RayEncoderPool,
    model: str,
    total: int,
    batch_size: int,
    stored: Callable[[int], None],
) -> int:
    """Keep every actor busy until ``total`` papers are read, storing each batch as it comes back."""
    window = BATCHES_PER_ACTOR * pool.size
    cursor, read, done, exhausted = "", 0, 0, False
    while True:
        while not exhausted and read < total and pool.in_flight < window:
            with db.session() as session:
                batch = pending_papers(session, model, limit=min(batch_size, total - read), after=cursor)
            if not batch:
                exhausted = True
                break
            cursor, read = batch[-1].id, read + len(batch)
            pool.submit([(p.id, document_text(p.title, p.abstract), p.content_hash) for p in batch])
        if pool.in_flight == 0:
            return done
        result = pool.next_result()
        with db.session() as session:
            # a paper deleted meanwhile is skipped; one edited meanwhile keeps its old hash, so stays pending
            present = content_hashes(session, result.ids)
            keep = [i for i, paper_id in enumerate(result.ids) if paper_id in present]
            rows = [(result.ids[i], result.hashes[i]) for i in keep]
            save_vectors(session, model, rows, result.vectors[keep])
        done += len(result.ids)
        stored(done)

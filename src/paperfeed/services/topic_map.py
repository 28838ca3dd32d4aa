"""The topic map, built and kept up to date: a nightly full build on a sample, new papers placed after.

- ``build_map``: lay out a random sample of the papers' vectors (``rank/topic_map.py``), find and label its
  topics, then place every other paper by its nearest sampled ones; the old map is replaced in one
  transaction.
- ``place_new_papers``: papers embedded since (a sync, a submission) are placed by the same sample, so no
  existing point moves between two nightly builds.
- One builder at a time over every process and node (the ``topic-map`` lease); the work runs at low CPU
  priority on ``MapParams.threads`` BLAS threads, so the site keeps answering while it runs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version

import numpy as np
import sqlalchemy as sa
from threadpoolctl import threadpool_limits

from paperfeed.embed import current_model_key
from paperfeed.rank.topic_map import Layout, MapParams, fit_layout, place
from paperfeed.services.trends import clear_cache
from paperfeed.store import Database, leases
from paperfeed.store import topic_map as store
from paperfeed.store.models import PaperRow
from paperfeed.store.vectors import VectorBlock, iter_vector_blocks, sample_vectors, vectors_for

log = logging.getLogger(__name__)
LEASE = "topic-map"
# Not renewed while working: the points are written in one transaction (readers see the old map or the new
# one), and on SQLite a renewal from another connection would wait for that transaction. A build at
# 1M papers takes minutes (benchmarks/results/topic_map_cost.md); a crashed builder frees it in two hours.
LEASE_TTL = timedelta(hours=2)
BUILD_HOUR_UTC = 4  # nightly, after the day's sync (PAPERFEED_SYNC_HOUR_UTC, 3 by default)
PLACE_EVERY_S = 600.0  # new papers join the map this often (after a sync's embedding)
FIRST_RUN_DELAY_S = 60.0  # `serve` answers first; the map waits a minute
DRAW_ORDER_TOP = 2**31 - 1
_random = np.random.default_rng()  # draw order only: which points a crowded view shows


@dataclass
class MapReport:
    papers: int = 0  # points on the map after the run
    placed: int = 0  # papers placed by this run
    topics: int = 0
    seconds: float = 0.0
    skipped: str | None = None  # why nothing was done
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step (benchmarks/topic_map_cost.py)


def layout_version() -> str:
    return f"openTSNE-{version('openTSNE')}+hdbscan"


def build_map(db: Database, params: MapParams | None = None, *, model: str | None = None) -> MapReport:
    """A new map from a fresh sample; every paper with a vector gets a point and a topic."""
    params = params or MapParams()
    model = model or current_model_key()
    holder = leases.holder_name()
    if not leases.acquire(db, LEASE, holder, LEASE_TTL):
        return MapReport(skipped="another process is building the map")
    started = time.monotonic()
    try:
        with threadpool_limits(params.threads):
            with db.sessions() as session:
                sample = sample_vectors(session, model, params.sample_size, seed=params.seed)
                ids = sorted(sample)
                titles = _titles(session, ids)
            if len(ids) < 5:
                return MapReport(skipped=f"only {len(ids)} papers have vectors; a map needs at least 5")
            phases = {"read_sample": time.monotonic() - started}
            layout = fit_layout(
                ids, np.stack([sample[i] for i in ids]), [titles.get(i, "") for i in ids], params
            )
            phases["fit"] = time.monotonic() - started - sum(phases.values())
            # Everything is computed before the write transaction starts, so that on SQLite other writers
            # (votes, ingests) wait only for the rows to be written, not for the placement.
            with db.sessions() as session:
                others = _placements(_outside(iter_vector_blocks(session, model), set(ids)), layout, params)
            phases["read_and_place"] = time.monotonic() - started - sum(phases.values())
            with db.session() as session:
                build = store.MapBuild(
                    0, layout_version(), model, datetime.now(UTC), len(ids), 0, 0.0, asdict(params)
                )
                store.replace_map(session, build, _topics(layout))
                store.add_points(session, _anchor_points(layout), anchor=True)
                placed = store.add_points(session, others)
                store.recount_topics(session)
                papers = store.count_points(session)
                _finish_build(session, papers, time.monotonic() - started)
            phases["write"] = time.monotonic() - started - sum(phases.values())
        clear_cache()  # the trends count by topic
        report = MapReport(
            papers, placed + len(ids), len(layout.topic_list), time.monotonic() - started, phases=phases
        )
        log.info(
            "topic map built: %d papers, %d topics, %.1f s", report.papers, report.topics, report.seconds
        )
        return report
    finally:
        leases.release(db, LEASE, holder)


def place_new_papers(db: Database, *, model: str | None = None) -> MapReport:
    """Place the papers that have a vector but no point yet, by the current map's sample."""
    model = model or current_model_key()
    holder = leases.holder_name()
    if not leases.acquire(db, LEASE, holder, LEASE_TTL):
        return MapReport(skipped="another process is building the map")
    started = time.monotonic()
    try:
        with db.sessions() as session:
            build = store.latest_build(session)
            if build is None or build.model != model:
                return MapReport(skipped="no map of these vectors yet: run `paperfeed map build`")
            ids, xy, topics = store.anchors(session)
            found = vectors_for(session, model, ids)
        keep = [i for i, pid in enumerate(ids) if pid in found]
        if not keep:
            return MapReport(skipped="the map's sample has no vectors left: run `paperfeed map build`")
        layout = Layout(
            [ids[i] for i in keep], np.stack([found[ids[i]] for i in keep]), xy[keep], topics[keep]
        )
        params = MapParams(**{k: v for k, v in build.params.items() if k in MapParams.__dataclass_fields__})
        with threadpool_limits(params.threads), db.sessions() as session:
            points = _placements(store.unplaced_vector_blocks(session, model), layout, params)
        with db.session() as session:
            placed = store.add_points(session, points)
            if placed:
                store.recount_topics(session)
            papers = store.count_points(session)
        return MapReport(
            papers, placed, int(topics.max()) + 1 if len(topics) else 0, time.monotonic() - started
        )
    finally:
        leases.release(db, LEASE, holder)


def _outside(blocks: Iterable[VectorBlock], sampled: set[str]) -> Iterator[tuple[list[str], np.ndarray]]:
    """Blocks of vectors without the sample's (those are on the map already)."""
    for paper_ids, vectors, _ in blocks:
        keep = [i for i, pid in enumerate(paper_ids) if pid not in sampled]
        if keep:
            yield [paper_ids[i] for i in keep], vectors[keep]


def _placements(
    blocks: Iterable[tuple[list[str], np.ndarray]], layout: Layout, params: MapParams
) -> list[store.MapPoint]:
    points: list[store.MapPoint] = []
    for paper_ids, vectors in blocks:
        xy, topics = place(layout, vectors, params.neighbours)
        # after the sample's ranks: a wide view of the map draws the fitted sample first
        order = _random.integers(len(layout.ids), DRAW_ORDER_TOP, len(paper_ids)).tolist()
        points += [
            store.MapPoint(pid, float(p[0]), float(p[1]), int(t), rank)
            for pid, p, t, rank in zip(paper_ids, xy, topics, order, strict=True)
        ]
    return points


def _titles(session: sa.orm.Session, ids: list[str]) -> dict[str, str]:
    titles: dict[str, str] = {}
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            sa.select(PaperRow.id, PaperRow.title).where(PaperRow.id.in_(ids[start : start + 1000]))
        )
        titles.update({r[0]: r[1] or "" for r in rows})
    return titles


def _topics(layout: Layout) -> list[store.MapTopic]:
    return [store.MapTopic(t.id, t.label[:200], t.words, t.size, t.x, t.y) for t in layout.topic_list]


def _anchor_points(layout: Layout) -> list[store.MapPoint]:
    order = _random.permutation(len(layout.ids)).tolist()
    return [
        store.MapPoint(pid, float(p[0]), float(p[1]), int(t), rank)
        for pid, p, t, rank in zip(layout.ids, layout.xy, layout.topics, order, strict=True)
    ]


def _finish_build(session: sa.orm.Session, papers: int, seconds: float) -> None:
    from paperfeed.store.models import MapBuildRow

    row = session.execute(sa.select(MapBuildRow).order_by(MapBuildRow.id.desc()).limit(1)).scalar_one()
    row.papers, row.seconds = papers, round(seconds, 2)


def start_map_scheduler(db: Database, *, interval_s: float = PLACE_EVERY_S) -> Callable[[], None]:
    """In a daemon thread at low priority: a full build once a day from :data:`BUILD_HOUR_UTC` (or at once
    when there is no map), new papers placed every ``interval_s``. Returns the function that stops it."""
    stopping = threading.Event()

    def loop() -> None:
        os.nice(10)  # on Linux this thread only: the web workers keep their priority
        stopping.wait(FIRST_RUN_DELAY_S)
        while not stopping.is_set():
            try:
                scheduled_round(db, datetime.now(UTC))
            except Exception:  # logged; the next tick retries
                log.exception("scheduled topic-map work failed")
            stopping.wait(interval_s)

    thread = threading.Thread(target=loop, name="paperfeed-topic-map", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(timeout=5)

    return stop


def scheduled_round(db: Database, now: datetime) -> MapReport:
    """One tick of the schedule: a build at once when there is no map (or one of other vectors), a rebuild
    once a day from :data:`BUILD_HOUR_UTC`, otherwise new papers placed."""
    with db.sessions() as session:
        build = store.latest_build(session)
    stale = build is None or build.model != current_model_key() or build.built_at.date() < now.date()
    if stale and (build is None or now.hour >= BUILD_HOUR_UTC):
        return build_map(db)
    return place_new_papers(db)

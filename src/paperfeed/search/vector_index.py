"""A node's own vector index: a saved, memory-mapped generation plus the newest vectors in memory.

Up to ``ANN_THRESHOLD`` vectors an exact matrix product is both fast (a few ms) and perfect, and the vectors
are simply read from the database into memory. Beyond it a usearch HNSW graph answers in a few milliseconds
with recall tuned by ``EXPANSION_SEARCH`` (benchmarks/ann_tuning.py chose the graph's settings); the graph
and the vectors are saved next to the database as a *generation* (:mod:`vector_files`) that every worker
maps, so a process starts in seconds and N workers share one copy. Rows of ``paper_vectors`` newer than the
generation (rows are only ever added, with a higher id; a re-embedded paper gets a new row) are read into a
small in-memory *delta*, searched exactly and merged; a base row superseded or deleted is masked. When the
delta grows past ``SAVE_DELTA`` one process writes the next generation in the background (the others switch
to it when ``CURRENT`` changes); ``paperfeed reindex --vectors`` rebuilds one from scratch.

On PostgreSQL each node keeps its own copy the same way, under ``PAPERFEED_INDEX_DIR`` like the keyword index:
at a million papers it answered in 12.7/18.5 ms (p50/p95, the query's embedding included) with recall@10
0.96, where pgvector's HNSW took 46/75 ms at 0.57 on the same database
(benchmarks/results/search_speed_pg.md). Row ids there do not become visible in order, so the index reads
from a :class:`~paperfeed.store.commit_order.IdHorizon` and skips rows it has. A node's first load (minutes
at a million papers) runs in a background thread; pgvector answers until it is done. While the data version
(``store/data_version``) stands still, nothing was committed, and a refresh reads nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from paperfeed.search import vector_files as vf
from paperfeed.store.commit_order import IdHorizon
from paperfeed.store.data_version import DataVersion, unchanged_since, version_seen_by
from paperfeed.store.vectors import iter_vector_blocks, vector_paper_ids, vector_state

if TYPE_CHECKING:
    from paperfeed.store import Database

log = logging.getLogger(__name__)
ANN_THRESHOLD = 50_000
# recall@10 vs exact (search_speed.py's queries), ann_tuning.json: 100k papers 256 -> 0.98 at 1.6 ms,
# 512 -> 0.99 at 3.1 ms; 1M papers 256 -> 0.84, 512 -> 0.94, 1024 -> 0.97 at 7 ms p50 / 9 ms p95 a search
# (2 cores, loaded). The cost grows with the expansion, and the recall an expansion reaches falls as the graph
# grows: each graph searches with the smallest expansion that keeps recall@10 near 0.97 at its size (between
# the two measured sizes, recall was interpolated on the logarithm of the size).
EXPANSION_SEARCH = 1024  # from SMALLER_EXPANSIONS' last size up
SMALLER_EXPANSIONS = ((150_000, 256), (400_000, 512))  # (up to this many vectors, expansion)
# connectivity 32 at 1M: 0.95 at expansion 512 (6.5 ms p95), 0.98 at 1024 (11.6 ms p95), but a 45% longer
# build (687 s vs 472 s) and 11% more memory; expansion_add 256 was not tried at 1M (ann_tuning.md)
CONNECTIVITY = 16
EXPANSION_ADD = 128
# The graph keeps 8-bit copies of the vectors (usearch "i8", VNNI kernels on this CPU); its candidates are
# then put in exact order from the float32 rows beside it. At 100k papers, 150 queries, expansion 256:
# 0.87 ms a search instead of 1.62, recall@10 0.981 instead of 0.989 (0.999 for both at 1024), a quarter of
# the graph's vector memory, half the build time. A graph saved as f32 by an older version works as it is.
GRAPH_DTYPE = "i8"
RESCORED = 100  # candidates the graph returns for exact re-scoring, however few are wanted
COUNT_CHECK_INTERVAL_S = 10.0  # a full count (to notice deletions) costs a scan; max(id) is cheap
# from this many vectors the count runs in a thread, not in a search; on PostgreSQL always (a count reads the
# table's heap: 30-50 ms at 100k papers)
BACKGROUND_COUNT_FROM = 200_000
GENERATION_CHECK_S = 5.0  # how often a worker looks whether another one saved a newer generation
SAVE_DELTA = 20_000  # vectors past the generation (new or masked) that make it worth saving the next one
COMPACT_SHARE = 0.2  # dead rows beyond this share of a generation: rebuild it from the database instead


class VectorIndex:
    """One model's vectors of one database, kept in step with the table by :meth:`refresh`."""

    def __init__(
        self,
        model: str,
        *,
        folder: Path | None = None,
        ann_threshold: int | None = None,
        load_in_background: bool = False,
    ) -> None:
        self.model = model
        self.load_in_background = load_in_background  # PostgreSQL: pgvector answers until the first load
        self.folder = folder  # where generations are saved; None keeps everything in memory
        self._ann_threshold = ann_threshold
        self.base: vf.Generation | None = None
        self.base_name: str | None = None
        self.base_live = 0
        self.masked: set[str] = set()  # base ids superseded by the delta or deleted
        self.ids: list[str] = []  # the delta (everything, without a saved generation)
        self.row_of: dict[str, int] = {}
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.ann = None  # in-memory graph over the delta, only when there is no folder to save to
        self.last_id = 0  # the highest row id read
        self.horizon = IdHorizon()  # where the next read starts (rows committing late are not skipped)
        self.read_above: set[int] = set()  # row ids above ``horizon.safe`` already read
        self.loaded = not load_in_background
        self._loading: threading.Thread | None = None
        self._loading_lock = threading.Lock()
        self._last_count_check = 0.0
        self._generation_check = 0.0
        self._lock = threading.Lock()
        self._saving: threading.Thread | None = None
        self._counting: threading.Thread | None = None
        self._deletions_seen = False
        # the data version (store/data_version) read before the last read of new rows: while it has not moved
        # nothing was committed since, so a refresh reads nothing (on PostgreSQL that saves two round trips)
        self._read_at_version: DataVersion | None = None
        self._counted_at_version: DataVersion | None = None

    @property
    def ann_threshold(self) -> int:
        return ANN_THRESHOLD if self._ann_threshold is None else self._ann_threshold

    def __len__(self) -> int:
        return self.base_live - len(self.masked) + len(self.ids)

    # --- keeping in step -------------------------------------------------------------------------------
    def refresh(self, session: Session) -> bool:
        """Bring the index up to date with the table (cheap when nothing changed). False while it cannot
        answer yet: its first load is running in the background."""
        if not self.loaded:
            self._load_in_background(sessionmaker(session.get_bind()))
            return False
        # The connection first, the lock second, in every thread: a thread that took the lock and then waited
        # for a pooled connection held by one waiting for the lock would stall both until the pool times out.
        session.connection()
        with self._lock:
            self._refresh(session)
        return True

    def _load_in_background(self, sessions: sessionmaker[Session]) -> None:
        with self._loading_lock:  # not ``_lock``: the load holds that one for minutes at a million papers
            if self._loading is not None and self._loading.is_alive():
                return

            def load() -> None:
                try:
                    with sessions() as session:
                        session.connection()
                        with self._lock:
                            self._refresh(session)
                    self.loaded = True
                    log.info("vector index of %d papers loaded", len(self))
                except Exception:  # noqa: BLE001 - the next search starts another try; pgvector answers
                    log.exception("loading the vector index failed; the database answers meanwhile")

            self._loading = threading.Thread(target=load, name="vector-index-load", daemon=True)
            self._loading.start()

    def _refresh(self, session: Session) -> None:
        now = time.monotonic()
        version = version_seen_by(session)
        if self.folder is not None and now - self._generation_check > GENERATION_CHECK_S:
            self._generation_check = now
            if vf.current_name(self.folder) != self.base_name:
                self._open_generation()
            elif self.base is None and vector_state(session, self.model)[0] >= self.ann_threshold:
                self._build_generation(session)
        if self._deletions_seen:  # by the last count (in the background on PostgreSQL)
            self._deletions_seen = False
            self._forget_deleted(session)
        if not self._unchanged(version):
            self._add_new_rows(session)
            self._read_at_version = version
        # After the read, so that the count compares like with like (a deletion and an addition between two
        # counts cancel out otherwise); only after a change, and again until one is conclusive.
        count_due = now - self._last_count_check > COUNT_CHECK_INTERVAL_S
        if count_due and not self._unchanged(version, counted=True):
            self._last_count_check = now
            if len(self) < BACKGROUND_COUNT_FROM and not self.load_in_background:
                self._count(session, version)
                if self._deletions_seen:
                    self._deletions_seen = False
                    self._forget_deleted(session)
            elif not (self._counting and self._counting.is_alive()):
                self._counting = threading.Thread(
                    target=self._count_in_background,
                    args=(sessionmaker(session.get_bind()), version),
                    daemon=True,
                )
                self._counting.start()
        if (
            self.base is not None
            and len(self.ids) + len(self.masked) >= SAVE_DELTA
            and not (self._saving and self._saving.is_alive())
        ):
            self._saving = threading.Thread(target=self._save_next, name="vector-index-save", daemon=True)
            self._saving.start()

    def _unchanged(self, version: DataVersion, *, counted: bool = False) -> bool:
        """Nothing was committed since the last read of new rows (or count of the rows)."""
        return unchanged_since(version, self._counted_at_version if counted else self._read_at_version)

    def _count(self, session: Session, version: DataVersion) -> None:
        """Count the table to notice deletions. A count that matches while rows past the last read exist
        proves nothing: the version is marked counted only when the count was conclusive."""
        count, top = vector_state(session, self.model)
        self._deletions_seen = count < len(self) or (top == self.last_id and count != len(self))
        if self._deletions_seen or top == self.last_id:
            self._counted_at_version = version

    def _count_in_background(self, sessions: sessionmaker[Session], version: DataVersion) -> None:
        """Counting a million rows takes 0.1-0.7 s: at that size it happens beside the searches."""
        try:
            with sessions() as session:
                self._count(session, version)
        except Exception:  # noqa: BLE001 - the next check tries again
            log.exception("counting the vectors failed")

    def _open_generation(self) -> None:
        assert self.folder is not None
        generation = vf.open_current(self.folder, self.model)
        if generation is not None and generation.ann is not None:
            # a graph read from its file searches with usearch's default expansion (64), not the one it was
            # built with: recall@10 at 100k papers was 0.87 instead of 1.0 until this line
            expansion = expansion_for(len(generation.ids))
            generation.ann.expansion_search = expansion  # type: ignore[attr-defined]
        self.base, self.base_name = generation, vf.current_name(self.folder)
        self.base_live = 0 if generation is None else int(generation.sorted_rows.size)
        self._reset_delta(generation.last_row_id if generation else 0)

    def _reset_delta(self, last_id: int) -> None:
        self.ids, self.row_of, self.ann, self.masked, self.last_id = [], {}, None, set(), last_id
        self.horizon, self.read_above = IdHorizon(last_id), set()
        self._read_at_version = self._counted_at_version = None
        self.matrix = np.zeros((0, 0), dtype=np.float32)

    def _build_generation(self, session: Session) -> None:
        """A first generation from the whole table, by one process of the node while the others wait."""
        assert self.folder is not None
        with vf.builder_lock(self.folder, blocking=True):
            if vf.current_name(self.folder) is None:
                self.save_from_table(session)
        self._open_generation()

    def save_from_table(self, session: Session) -> int:
        """Read every vector of the model, build the graph and save it as a generation (lock held)."""
        assert self.folder is not None
        started = time.perf_counter()
        self._reset_delta(0)
        self.horizon.prime(session, vector_state(session, self.model)[1])
        self._add_new_rows(session, grow_ann=False)
        ann = None
        if self.ids:
            ann = _new_ann(self.matrix.shape[1])
            ann.add(np.arange(len(self.ids), dtype=np.uint64), self.matrix, threads=2)
        vf.save_generation(
            self.folder,
            self.model,
            self.horizon.safe,  # rows above it are read again (and found in the generation) on opening
            np.asarray(self.ids),
            self.matrix,
            np.zeros(len(self.ids), dtype=bool),
            ann,
        )
        log.info(
            "vector index of %d papers built and saved in %.0f s",
            len(self.ids),
            time.perf_counter() - started,
        )
        return len(self.ids)

    def _save_next(self) -> None:
        """The next generation: the current one with the delta appended and masked rows dead (background)."""
        assert self.folder is not None and self.base is not None
        try:
            with vf.builder_lock(self.folder, blocking=False) as mine:
                if not mine or vf.current_name(self.folder) != self.base_name:
                    return
                with self._lock:
                    base, ids, matrix = self.base, list(self.ids), self.matrix
                    masked, last = set(self.masked), self.horizon.safe
                _, gone_rows = base.rows_of(sorted(masked))
                dead = np.concatenate([np.asarray(base.dead), np.zeros(len(ids), dtype=bool)])
                dead[gone_rows] = True
                if dead.mean() > COMPACT_SHARE:
                    compacted = self._compacted(base, ids, matrix, dead)
                    vf.save_generation(self.folder, self.model, last, *compacted)
                    return
                ann = None
                if base.ann is not None:
                    ann = vf.usearch_index().restore(str(base.folder / "hnsw.usearch"))
                if ann is not None:
                    for row in gone_rows:
                        ann.remove(int(row))
                    keys = np.arange(len(base.ids), len(base.ids) + len(ids), dtype=np.uint64)
                    ann.add(keys, matrix, threads=2)
                vectors = np.concatenate([base.vectors, matrix]) if len(ids) else base.vectors
                vf.save_generation(
                    self.folder,
                    self.model,
                    last,
                    np.concatenate([np.asarray(base.ids), ids]),
                    vectors,
                    dead,
                    ann,
                )
        except Exception:  # noqa: BLE001 - the index still answers from the old generation and the delta
            log.exception("saving the next vector index generation failed")

    def _compacted(
        self, base: vf.Generation, ids: list[str], matrix: np.ndarray, dead: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, object]:
        all_ids = np.concatenate([np.asarray(base.ids), ids])
        vectors = np.concatenate([base.vectors, matrix]) if len(ids) else np.asarray(base.vectors)
        keep = np.flatnonzero(~dead)
        ann = _new_ann(vectors.shape[1])
        ann.add(np.arange(keep.size, dtype=np.uint64), vectors[keep], threads=2)
        return all_ids[keep], vectors[keep], np.zeros(keep.size, dtype=bool), ann

    def _forget_deleted(self, session: Session) -> None:
        """Vectors were deleted: mask base rows and drop delta rows whose paper has no vector any more."""
        present = vector_paper_ids(session, self.model)
        if self.base is not None:
            alive = np.asarray(self.base.sorted_ids)
            self.masked |= {str(i) for i in alive[~np.isin(alive, list(present))]}
        kept = [i for i, pid in enumerate(self.ids) if pid in present]
        if len(kept) != len(self.ids):
            last = self.last_id
            self.ids = [self.ids[i] for i in kept]
            self.row_of = {pid: n for n, pid in enumerate(self.ids)}
            self.matrix = self.matrix[kept] if kept else np.zeros((0, 0), dtype=np.float32)
            self.ann = None
            self.last_id = last
            self._grow_ann(np.arange(0, dtype=np.uint64), self.matrix[:0])

    def _add_new_rows(self, session: Session, *, grow_ann: bool = True) -> None:
        """Append rows past the horizon not read yet; a paper seen before (re-embedded) is overwritten or
        masked."""
        start = self.horizon.before_read(session)
        self.read_above = {r for r in self.read_above if r > start}
        known = len(self.ids)
        blocks: list[np.ndarray] = []
        read: list[list[int]] = []
        for block in iter_vector_blocks(session, self.model, after_id=start, skip=self.read_above):
            self.last_id = max(self.last_id, block.row_ids[-1])
            read.append(block.row_ids)
            fresh: list[int] = []
            for position, paper_id in enumerate(block.paper_ids):
                row = self.row_of.get(paper_id)
                if row is not None and row < known:
                    self._overwrite(row, block.vectors[position])
                elif row is None:  # the table holds one row per (paper, model): no repeats in a refresh
                    self.row_of[paper_id] = len(self.ids)
                    self.ids.append(paper_id)
                    fresh.append(position)
            if fresh:
                blocks.append(block.vectors[fresh])
        self.horizon.after_read(self.last_id)
        self.read_above.update(r for rows in read for r in rows if r > self.horizon.safe)
        if blocks:  # one concatenation per refresh, not per block: 1M vectors are 1.5 GB
            added = np.concatenate([self.matrix, *blocks]) if known else np.concatenate(blocks)
            self.matrix = np.ascontiguousarray(added, dtype=np.float32)
            if self.base is not None:
                found, _ = self.base.rows_of(self.ids[known:])
                self.masked.update(found)
            if grow_ann:
                self._grow_ann(np.arange(known, len(self.ids), dtype=np.uint64), self.matrix[known:])

    def _overwrite(self, row: int, vector: np.ndarray) -> None:
        self.matrix[row] = vector
        if self.ann is not None:
            self.ann.remove(row)
            self.ann.add(row, vector)

    def _grow_ann(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        """Without a folder to save to, the delta is the whole index: past the threshold it gets a graph."""
        if self.folder is not None:
            return
        if self.ann is None and len(self.ids) >= self.ann_threshold:
            ann = _new_ann(self.matrix.shape[1])
            ann.add(np.arange(len(self.ids), dtype=np.uint64), self.matrix, threads=2)
            self.ann = ann
        elif self.ann is not None and rows.size:
            self.ann.add(rows, vectors, threads=2)
        if self.ann is not None:
            self.ann.expansion_search = expansion_for(len(self.ids))

    # --- searching -------------------------------------------------------------------------------------
    def nearest(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` most similar papers (cosine), optionally only among ``allowed`` ids."""
        if not len(self) or k <= 0:
            return []
        query = query.astype(np.float32)
        if allowed is not None:
            return self._nearest_among(query, k, allowed)
        hits = self._delta_nearest(query, k)
        if self.base is not None:
            hits += self._base_nearest(query, k)
        return sorted(hits, key=lambda h: -h[1])[:k]

    def _delta_nearest(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        if self.ann is not None:
            rows, scores = _exact_order(self.ann.search(query, max(k, RESCORED)).keys, self.matrix, query)
            return [(self.ids[int(r)], float(v)) for r, v in zip(rows[:k], scores[:k], strict=True)]
        return _top(self.matrix @ query, k, self.ids)

    def _base_nearest(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        base = self.base
        assert base is not None
        if base.ann is None:
            rows = np.asarray(base.sorted_rows)
            scores = np.asarray(base.vectors)[rows] @ query
            return [
                h
                for h in _top(scores, k + len(self.masked), [str(base.ids[r]) for r in rows])
                if h[0] not in self.masked
            ][:k]
        wanted = max(k + min(len(self.masked), 4 * k), RESCORED)
        keys = base.ann.search(query, wanted).keys  # type: ignore[attr-defined]
        rows, scores = _exact_order(keys, base.vectors, query)
        hits = ((str(base.ids[int(r)]), float(v)) for r, v in zip(rows, scores, strict=True))
        return [h for h in hits if h[0] not in self.masked][:k]

    def _nearest_among(self, query: np.ndarray, k: int, allowed: set[str]) -> list[tuple[str, float]]:
        size = len(self)
        if (self.ann is not None or (self.base is not None and self.base.ann is not None)) and len(
            allowed
        ) > size // 4:
            # a broad filter: ask the graph for more and keep the allowed ones
            wanted = min(size, k * 4 * size // max(len(allowed), 1))
            hits = [h for h in self.nearest(query, wanted) if h[0] in allowed]
            if len(hits) >= k:
                return hits[:k]
        scores = self.scores(query, sorted(allowed))
        return sorted(scores.items(), key=lambda h: -h[1])[:k]

    def scores(self, query: np.ndarray, paper_ids: list[str]) -> dict[str, float]:
        """Exact cosine of the query with each listed paper that has a vector."""
        query = query.astype(np.float32)
        out: dict[str, float] = {}
        rows = [(pid, self.row_of[pid]) for pid in paper_ids if pid in self.row_of]
        if rows:
            values = self.matrix[[r for _, r in rows]] @ query
            out.update({pid: float(v) for (pid, _), v in zip(rows, values, strict=True)})
        if self.base is not None:
            rest = [pid for pid in paper_ids if pid not in out and pid not in self.masked]
            found, base_rows = self.base.rows_of(rest)
            if found:
                order = np.argsort(base_rows)  # ascending rows read the memory map front to back
                values = np.asarray(self.base.vectors[base_rows[order]]) @ query
                out.update({found[int(i)]: float(v) for i, v in zip(order, values, strict=True)})
        return out

    def vector(self, paper_id: str) -> np.ndarray | None:
        row = self.row_of.get(paper_id)
        if row is not None:
            return self.matrix[row]
        if self.base is None or paper_id in self.masked:
            return None
        _, rows = self.base.rows_of([paper_id])
        return np.asarray(self.base.vectors[rows[0]]) if rows.size else None

    def memory_mb(self) -> dict[str, float]:
        """Private memory of this process's part, and the size of the shared, memory-mapped generation."""
        private = self.matrix.nbytes + (self.ann.memory_usage if self.ann is not None else 0)
        shared = 0 if self.base is None else sum(p.stat().st_size for p in self.base.folder.iterdir())
        return {"private_mb": round(private / 2**20, 1), "mapped_mb": round(shared / 2**20, 1)}


def expansion_for(size: int) -> int:
    """usearch's ``expansion_search`` for a graph of ``size`` vectors (see ``SMALLER_EXPANSIONS``)."""
    return next((expansion for most, expansion in SMALLER_EXPANSIONS if size <= most), EXPANSION_SEARCH)


def _new_ann(dim: int) -> Any:
    return vf.usearch_index()(
        ndim=dim,
        metric="cos",
        dtype=GRAPH_DTYPE,
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )


def _exact_order(keys: np.ndarray, vectors: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A graph's candidates (rows of ``vectors``) and their exact cosine, best first: the graph's own
    distances come from its 8-bit copies."""
    rows = np.sort(np.asarray(keys, dtype=np.int64))  # ascending rows read a memory map front to back
    scores = np.asarray(vectors[rows]) @ query
    order = np.argsort(-scores, kind="stable")
    return rows[order], scores[order]


def _top(scores: np.ndarray, k: int, ids: list[str]) -> list[tuple[str, float]]:
    k = min(k, scores.size)
    if k <= 0:
        return []
    part = np.argpartition(-scores, k - 1)[:k]
    order = part[np.argsort(-scores[part])]
    return [(ids[int(i)], float(scores[i])) for i in order]


_indexes: dict[tuple[str, str], VectorIndex] = {}
_registry_lock = threading.Lock()


def index_for(database_url: str, model: str) -> VectorIndex:
    """The process's index for a database and model (one per process, shared by all requests)."""
    with _registry_lock:
        key = (_same_form(database_url), model)
        if key not in _indexes:
            _indexes[key] = VectorIndex(
                model,
                folder=_folder(database_url, model),
                load_in_background=not database_url.startswith("sqlite"),
            )
        return _indexes[key]


def _same_form(database_url: str) -> str:
    """One key per database however its URL was written (a password shows as ``***``)."""
    return str(sa.engine.make_url(database_url))


def _folder(database_url: str, model: str) -> Path | None:
    from paperfeed.search.locations import index_root

    try:
        root = index_root(database_url)
    except ValueError:  # an in-memory database: nothing to save next to
        return None
    return root / ("vectors-" + "".join(c if c.isalnum() or c in ".-" else "_" for c in model))


def rebuild_saved(database_url: str, model: str, db: Database) -> int:
    """Build a new generation of ``model`` from the table now (``paperfeed reindex --vectors``)."""
    folder = _folder(database_url, model)
    if folder is None:
        return 0
    index = VectorIndex(model, folder=folder)
    with db.session() as session, vf.builder_lock(folder, blocking=True):
        done = index.save_from_table(session)
    forget_indexes(database_url)
    return done


def remove_saved(database_url: str) -> None:
    """Delete every saved generation of the database (all models): the vectors they hold were dropped."""
    import shutil

    from paperfeed.search.locations import index_root

    try:
        root = index_root(database_url)
    except ValueError:
        return
    for folder in root.glob("vectors-*"):
        shutil.rmtree(folder, ignore_errors=True)


def forget_indexes(database_url: str | None = None) -> None:
    """Drop cached indexes (after a full re-index, or when a test database goes away)."""
    with _registry_lock:
        wanted = None if database_url is None else _same_form(database_url)
        for key in [k for k in _indexes if wanted is None or k[0] == wanted]:
            del _indexes[key]

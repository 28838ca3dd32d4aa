"""The embedded vector index for SQLite: the database's vectors held in memory, searched exactly or by HNSW.

Up to ``ANN_THRESHOLD`` vectors an exact matrix product is both fast (a few ms) and perfect; beyond it a
usearch HNSW graph answers in a few milliseconds with recall tuned by ``EXPANSION_SEARCH``
(benchmarks/search_speed.py measures both; benchmarks/ann_tuning.py chose the graph's settings). The
index follows the ``paper_vectors`` table incrementally: rows are only ever added with a higher id (a
re-embedded paper gets a new row), so a refresh reads just the rows past the last id seen; a shrinking
count (papers deleted) triggers a rebuild.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from sqlalchemy.orm import Session

from paperfeed.store.vectors import iter_vector_blocks, vector_state

ANN_THRESHOLD = 50_000
# recall@10 vs exact (search_speed.py's queries), ann_tuning.json: 100k papers 256 -> 0.98, 512 -> 0.99;
# 1M papers 256 -> 0.84, 512 -> 0.94, 1024 -> 0.97 at 7 ms p50 / 9 ms p95 a search (2 cores, loaded)
EXPANSION_SEARCH = 1024
# connectivity 32 at 1M: 0.95 at expansion 512 (6.5 ms p95), 0.98 at 1024 (11.6 ms p95), but a 45% longer
# build (687 s vs 472 s) and 11% more memory; expansion_add 256 was not tried at 1M (ann_tuning.md)
CONNECTIVITY = 16
EXPANSION_ADD = 128
COUNT_CHECK_INTERVAL_S = 10.0  # a full count (to notice deletions) costs a scan; max(id) is cheap


class VectorIndex:
    """One model's vectors of one database, kept in step with the table by :meth:`refresh`."""

    def __init__(self, model: str, *, ann_threshold: int = ANN_THRESHOLD) -> None:
        self.model = model
        self.ann_threshold = ann_threshold
        self.ids: list[str] = []
        self.row_of: dict[str, int] = {}
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.ann = None  # usearch.index.Index once the corpus is past the threshold
        self.last_id = 0
        self._last_count_check = 0.0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def refresh(self, session: Session) -> None:
        """Bring the index up to date with the table (cheap when nothing changed)."""
        with self._lock:
            now = time.monotonic()
            if now - self._last_count_check > COUNT_CHECK_INTERVAL_S:
                count, top = vector_state(session, self.model)
                self._last_count_check = now
                if count < len(self.ids) or (top == self.last_id and count != len(self.ids)):
                    self._reset()
            self._add_new_rows(session)

    def _reset(self) -> None:
        self.ids, self.row_of, self.last_id, self.ann = [], {}, 0, None
        self.matrix = np.zeros((0, 0), dtype=np.float32)

    def _add_new_rows(self, session: Session) -> None:
        """Append rows past ``last_id``; a paper seen before (re-embedded) is overwritten in place."""
        known = len(self.ids)
        blocks: list[np.ndarray] = []
        for paper_ids, vectors, last in iter_vector_blocks(session, self.model, after_id=self.last_id):
            self.last_id = last
            fresh: list[int] = []
            for position, paper_id in enumerate(paper_ids):
                row = self.row_of.get(paper_id)
                if row is not None and row < known:
                    self._overwrite(row, vectors[position])
                elif row is None:  # the table holds one row per (paper, model): no repeats in a refresh
                    self.row_of[paper_id] = len(self.ids)
                    self.ids.append(paper_id)
                    fresh.append(position)
            if fresh:
                blocks.append(vectors[fresh])
        if blocks:  # one concatenation per refresh, not per block: 1M vectors are 1.5 GB
            added = np.concatenate([self.matrix, *blocks]) if known else np.concatenate(blocks)
            self.matrix = np.ascontiguousarray(added, dtype=np.float32)
            self._grow_ann(np.arange(known, len(self.ids), dtype=np.uint64), self.matrix[known:])

    def _overwrite(self, row: int, vector: np.ndarray) -> None:
        self.matrix[row] = vector
        if self.ann is not None:
            self.ann.remove(row)
            self.ann.add(row, vector)

    def _grow_ann(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        if self.ann is None and len(self.ids) >= self.ann_threshold:
            self.ann = _new_ann(self.matrix.shape[1])
            self.ann.add(np.arange(len(self.ids), dtype=np.uint64), self.matrix, threads=2)
        elif self.ann is not None:
            self.ann.add(rows, vectors, threads=2)

    def nearest(self, query: np.ndarray, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The ``k`` most similar papers (cosine), optionally only among ``allowed`` ids."""
        if not self.ids or k <= 0:
            return []
        if allowed is not None:
            return self._nearest_among(query, k, allowed)
        if self.ann is not None:
            matches = self.ann.search(query.astype(np.float32), k)
            return [(self.ids[int(key)], 1.0 - float(d)) for key, d in zip(matches.keys, matches.distances,
                                                                         strict=True)]
        scores = self.matrix @ query.astype(np.float32)
        return _top(scores, k, self.ids)

    def _nearest_among(self, query: np.ndarray, k: int, allowed: set[str]) -> list[tuple[str, float]]:
        if self.ann is not None and len(allowed) > len(self.ids) // 4:
            # a broad filter: ask the graph for more and keep the allowed ones
            wanted = min(len(self.ids), k * 4 * len(self.ids) // max(len(allowed), 1))
            hits = [h for h in self.nearest(query, wanted) if h[0] in allowed]
            if len(hits) >= k:
                return hits[:k]
        rows = np.asarray(sorted(self.row_of[i] for i in allowed if i in self.row_of), dtype=np.int64)
        if rows.size == 0:
            return []
        scores = self.matrix[rows] @ query.astype(np.float32)
        order = np.argsort(-scores)[:k]
        return [(self.ids[int(rows[i])], float(scores[i])) for i in order]

    def scores(self, query: np.ndarray, paper_ids: list[str]) -> dict[str, float]:
        """Exact cosine of the query with each listed paper that has a vector."""
        rows = [(pid, self.row_of[pid]) for pid in paper_ids if pid in self.row_of]
        if not rows:
            return {}
        values = self.matrix[[r for _, r in rows]] @ query.astype(np.float32)
        return {pid: float(v) for (pid, _), v in zip(rows, values, strict=True)}

    def vector(self, paper_id: str) -> np.ndarray | None:
        row = self.row_of.get(paper_id)
        return None if row is None else self.matrix[row]


def _new_ann(dim: int):  # type: ignore[no-untyped-def]
    from usearch.index import Index

    return Index(ndim=dim, metric="cos", dtype="f32", connectivity=CONNECTIVITY, expansion_add=EXPANSION_ADD,
                 expansion_search=EXPANSION_SEARCH)


def _top(scores: np.ndarray, k: int, ids: list[str]) -> list[tuple[str, float]]:
    k = min(k, scores.size)
    part = np.argpartition(-scores, k - 1)[:k]
    order = part[np.argsort(-scores[part])]
    return [(ids[int(i)], float(scores[i])) for i in order]


_indexes: dict[tuple[str, str], VectorIndex] = {}
_registry_lock = threading.Lock()


def index_for(database_url: str, model: str) -> VectorIndex:
    """The process's index for a database and model (one per process, shared by all requests)."""
    with _registry_lock:
        key = (database_url, model)
        if key not in _indexes:
            _indexes[key] = VectorIndex(model)
        return _indexes[key]


def forget_indexes(database_url: str | None = None) -> None:
    """Drop cached indexes (after a full re-index, or when a test database goes away)."""
    with _registry_lock:
        for key in [k for k in _indexes if database_url is None or k[0] == database_url]:
            del _indexes[key]

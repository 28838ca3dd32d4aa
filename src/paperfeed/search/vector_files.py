"""A saved generation of one model's vector index: memory-mapped files that every worker of a node shares.

Building the HNSW graph of a million vectors takes six minutes on two cores and holds 2-4 GB; doing that in
every worker on every start was the old cost (benchmarks/results/search_speed.md). A generation is a folder:

* ``vectors.npy``  float32 rows, ``ids.npy`` the paper id of each row, ``dead.npy`` rows superseded since;
* ``sorted_ids.npy`` / ``sorted_rows.npy``  the live ids in order, to find a paper's row by binary search;
* ``hnsw.usearch``  the usearch graph, keyed by row (absent for small corpora, searched exactly);
* ``state.json``  the model, and the highest ``paper_vectors.id`` the generation holds.

Opening maps the files (``numpy.load(mmap_mode="r")``, usearch ``view``): seconds at a million papers, and the
pages live once in the page cache whatever the number of workers. ``CURRENT`` names the newest generation; it
is replaced by an atomic rename after the new folder is complete, so a reader sees an old or a new generation,
never half of one. Newer vectors than a generation holds are read from the database (see vector_index).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

CURRENT = "CURRENT"


def usearch_index() -> Any:
    """usearch's ``Index`` class, imported after onnxruntime: the other order crashes the process (segfault
    inside onnxruntime's import, usearch 2.26.6 / onnxruntime 1.31.1), and which comes first otherwise depends
    on whether a search or a similar-papers page is a process's first request."""
    import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


@dataclass
class Generation:
    folder: Path
    model: str
    last_row_id: int
    ids: np.ndarray  # str per row
    vectors: np.ndarray  # float32 rows (memory-mapped)
    dead: np.ndarray  # bool per row
    sorted_ids: np.ndarray
    sorted_rows: np.ndarray
    ann: object | None  # usearch Index (a read-only view) or None

    def rows_of(self, paper_ids: list[str]) -> tuple[list[str], np.ndarray]:
        """The live rows of the listed ids that this generation holds, as ``(found ids, rows)``."""
        if not paper_ids or self.sorted_ids.size == 0:
            return [], np.zeros(0, dtype=np.int64)
        width = self.sorted_ids.dtype.itemsize // 4
        paper_ids = [p for p in paper_ids if len(p) <= width]  # longer ids would be cut, and could match
        if not paper_ids:
            return [], np.zeros(0, dtype=np.int64)
        wanted = np.asarray(paper_ids, dtype=self.sorted_ids.dtype)
        at = np.minimum(np.searchsorted(self.sorted_ids, wanted), self.sorted_ids.size - 1)
        hit = self.sorted_ids[at] == wanted
        found = [p for p, h in zip(paper_ids, hit, strict=True) if h]
        return found, self.sorted_rows[at[hit]].astype(np.int64)


def open_current(folder: Path, model: str) -> Generation | None:
    """The newest complete generation of ``model`` in ``folder``, memory-mapped, or None."""
    try:
        name = (folder / CURRENT).read_text().strip()
        gen = folder / name
        state = json.loads((gen / "state.json").read_text())
    except (OSError, ValueError):
        return None
    if state.get("model") != model:
        return None
    load = lambda n: np.load(gen / n, mmap_mode="r")  # noqa: E731
    ann = None
    if (gen / "hnsw.usearch").exists():
        ann = usearch_index().restore(str(gen / "hnsw.usearch"), view=True)
    return Generation(
        gen,
        model,
        int(state["last_row_id"]),
        load("ids.npy"),
        load("vectors.npy"),
        load("dead.npy"),
        load("sorted_ids.npy"),
        load("sorted_rows.npy"),
        ann,
    )


def current_name(folder: Path) -> str | None:
    try:
        return (folder / CURRENT).read_text().strip()
    except OSError:
        return None


def save_generation(
    folder: Path,
    model: str,
    last_row_id: int,
    ids: np.ndarray,
    vectors: np.ndarray,
    dead: np.ndarray,
    ann: object | None,
) -> Path:
    """Write a complete new generation, then point ``CURRENT`` at it; older ones but the last are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(int(p.name[4:]) for p in folder.glob("gen-*") if p.name[4:].isdigit())
    number = (existing[-1] + 1) if existing else 1
    final, partial = folder / f"gen-{number:06d}", folder / f"gen-{number:06d}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    ids = np.asarray(ids, dtype=f"U{max(1, max((len(i) for i in ids), default=1))}")
    alive = np.flatnonzero(~dead)
    order = alive[np.argsort(ids[alive], kind="stable")]
    for name, array in (
        ("ids.npy", ids),
        ("vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32)),
        ("dead.npy", dead),
        ("sorted_ids.npy", ids[order]),
        ("sorted_rows.npy", order),
    ):
        np.save(partial / name, array)
    if ann is not None:
        ann.save(str(partial / "hnsw.usearch"))  # type: ignore[attr-defined]
    (partial / "state.json").write_text(
        json.dumps(
            {"model": model, "last_row_id": last_row_id, "rows": int(ids.size), "dead": int(dead.sum())}
        )
    )
    for path in partial.iterdir():
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    partial.rename(final)
    pointer = folder / f".{CURRENT}.tmp"
    pointer.write_text(final.name + "\n")
    pointer.replace(folder / CURRENT)
    for old in existing[:-1]:  # open maps of a removed file stay valid (POSIX); keep one for slow readers
        shutil.rmtree(folder / f"gen-{old:06d}", ignore_errors=True)
    return final


@contextmanager
def builder_lock(folder: Path, *, blocking: bool) -> Iterator[bool]:
    """One builder per node (across processes); yields False at once when not ``blocking`` and it is taken."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".build.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

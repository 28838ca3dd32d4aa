"""A portable file of precomputed vectors: ids, float16 vectors and the model key they were made with.

Used to ship the bundled sample's vectors (so a fresh install searches at once) and to cache benchmark
vectors. float16 halves the size; cosine scores move by ~1e-3, far below what changes a ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class VectorFile:
    ids: list[str]
    vectors: np.ndarray  # float32, one L2-normalised row per id
    model: str


def write_vector_file(path: Path, ids: list[str], vectors: np.ndarray, model: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:  # a handle, so numpy does not append ".npz" to the name
        np.savez_compressed(
            handle,
            ids=np.asarray(ids, dtype=str),
            vectors=vectors.astype(np.float16),
            model=np.asarray(model),
        )


def read_vector_file(path: Path) -> VectorFile:
    """Read a file written by :func:`write_vector_file`; raises ValueError naming the file if malformed."""
    try:
        with np.load(path, allow_pickle=False) as data:
            ids = [str(i) for i in data["ids"]]
            vectors = data["vectors"].astype(np.float32)
            model = str(data["model"])
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(f"{path}: not a paperfeed vector file ({error})") from error
    if vectors.ndim != 2 or len(ids) != len(vectors):
        raise ValueError(f"{path}: {len(ids)} ids but vectors of shape {vectors.shape}")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return VectorFile(ids=ids, vectors=vectors / np.maximum(norms, 1e-12), model=model)

"""HNSW (usearch) settings for the SQLite vector index: build time, memory, latency and recall@10 at 1M.

The vectors are exactly those search_speed.py stores (``derived_vectors`` in the same batches, for its
default sizes 10k / 100k / 1M), without a database. Two query sets, 200 each:

* ``text``: search_speed.py's own queries (2-5 words of a real title, seeded by the corpus size, encoded
  by the real encoder), so recall here is comparable with its ``ann_recall``;
* ``copy``: noisy copies of corpus-like vectors (``derived_vectors`` with a seed the corpus never uses).

Recall@10 is against exact numpy top-10 (cosine). Because the derived vectors are a million mixtures of
only 3,467 real vectors, many neighbours are near-ties; ``tie`` columns quantify that (the gap between the
exact 10th and 11th similarity, and how many vectors lie within 0.01 of the 10th), and ``recall_tol``
counts an ANN hit as right when its exact similarity is within 0.001 of the exact 10th.
Latency is one query at a time (as the service asks), warm, ``threads=1``.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/ann_tuning.py --size 100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_speed import DATA, RESULTS, SAMPLE_VECTORS, derived_vectors, load_real_papers  # noqa: E402

from paperfeed.embed import get_encoder  # noqa: E402
from paperfeed.embed.vector_file import read_vector_file  # noqa: E402

SPEED_SIZES = (10_000, 100_000, 1_000_000)  # search_speed.py's default steps: its batches restart at each
QUERIES = 200
EXPANSIONS = (128, 256, 512, 1024)
# (connectivity, expansion_add, dtype); the first is vector_index.py's setting before this benchmark
CONFIGS = {
    "m16-add128-f32": (16, 128, "f32"),
    "m32-add128-f32": (32, 128, "f32"),
    "m32-add256-f32": (32, 256, "f32"),
    "m16-add256-f32": (16, 256, "f32"),
    "m32-add256-f16": (32, 256, "f16"),
    "m48-add256-f32": (48, 256, "f32"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--configs", default="m16-add128-f32,m32-add128-f32,m32-add256-f32")
    parser.add_argument("--queries", type=int, default=QUERIES)
    args = parser.parse_args()
    base = read_vector_file(SAMPLE_VECTORS).vectors
    started = time.perf_counter()
    matrix = benchmark_vectors(base, args.size)
    print(f"{args.size:,} vectors in {time.perf_counter() - started:.1f} s")
    query_sets = {
        "text": text_queries(args.size, args.queries),
        "copy": derived_vectors(base, 10**9, args.queries),
    }
    exact = {name: exact_top(matrix, q) for name, q in query_sets.items()}
    results = load_previous()
    entry = results["sizes"].setdefault(str(args.size), {"configs": {}})
    entry["ties"] = {name: tie_stats(e) for name, e in exact.items()}
    print("ties", entry["ties"])
    for name in args.configs.split(","):
        entry["configs"][name] = measure(name, CONFIGS[name], matrix, query_sets, exact)
        save(results)


def benchmark_vectors(base: np.ndarray, size: int) -> np.ndarray:
    """search_speed.py's stored vectors for ``size`` papers, batch by batch as its ``grow`` derives them."""
    steps = sorted({s for s in SPEED_SIZES if s < size} | {size})
    blocks, stored = [], 0
    for step in steps:
        while stored < step:
            count = min(20000, step - stored)
            blocks.append(derived_vectors(base, stored, count))
            stored += count
    return np.ascontiguousarray(np.concatenate(blocks), dtype=np.float32)


def text_queries(size: int, n: int) -> np.ndarray:
    """search_speed.py's ``measure`` queries for a corpus of ``size``, encoded."""
    rng = random.Random(size)
    queries = []
    for obj in rng.sample(load_real_papers(DATA), n):
        words = [w for w in obj["title"].replace(":", " ").split() if len(w) > 2]
        queries.append(" ".join(words[: rng.randint(2, 5)]))
    return np.asarray(get_encoder().encode(queries), dtype=np.float32)


def exact_top(matrix: np.ndarray, queries: np.ndarray, k: int = 200) -> dict:
    """Exact top-``k`` rows and similarities per query (descending)."""
    rows, sims = [], []
    for q in queries:
        scores = matrix @ q
        part = np.argpartition(-scores, k)[:k]
        order = part[np.argsort(-scores[part])]
        rows.append(order)
        sims.append(scores[order])
    count_near = []
    for q, s in zip(queries, sims, strict=True):  # vectors within 0.01 of the 10th (may exceed k)
        count_near.append(
            int(np.count_nonzero(matrix @ q >= s[9] - 0.01))
            if s[-1] >= s[9] - 0.01
            else int(np.count_nonzero(s >= s[9] - 0.01))
        )
    return {
        "rows": np.asarray(rows),
        "sims": np.asarray(sims),
        "within_0.01": np.asarray(count_near),
        "queries": queries,
    }


def tie_stats(exact: dict) -> dict:
    sims = exact["sims"]
    gap = sims[:, 9] - sims[:, 10]
    spread = sims[:, 0] - sims[:, 9]
    near = exact["within_0.01"]
    return {
        "gap_10_11_median": round(float(np.median(gap)), 5),
        "gap_10_11_p90": round(float(np.percentile(gap, 90)), 5),
        "gap_10_11_below_0.001": round(float(np.mean(gap < 0.001)), 3),
        "spread_1_10_median": round(float(np.median(spread)), 4),
        "within_0.01_of_10th_median": int(np.median(near)),
        "sim_10th_median": round(float(np.median(sims[:, 9])), 4),
    }


def measure(name: str, config: tuple, matrix: np.ndarray, query_sets: dict, exact: dict) -> dict:
    from usearch.index import Index

    connectivity, expansion_add, dtype = config
    index = Index(
        ndim=matrix.shape[1],
        metric="cos",
        dtype=dtype,
        connectivity=connectivity,
        expansion_add=expansion_add,
        expansion_search=EXPANSIONS[0],
    )
    started = time.perf_counter()
    index.add(np.arange(len(matrix), dtype=np.uint64), matrix, threads=2)
    build_s = time.perf_counter() - started
    row = {
        "connectivity": connectivity,
        "expansion_add": expansion_add,
        "dtype": dtype,
        "build_s": round(build_s, 1),
        "index_mb": round(index.memory_usage / 2**20),
        "graph_mb": round((index.memory_usage - matrix.nbytes * (0.5 if dtype == "f16" else 1)) / 2**20),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "search": {},
    }
    print(f"{name}: build {build_s:.1f} s, {row['index_mb']} MB")
    for expansion in EXPANSIONS:
        index.expansion_search = expansion
        cell = {}
        for qname, queries in query_sets.items():
            for q in queries[:20]:
                index.search(q, 10)
            timings, found = [], []
            for q in queries:
                t0 = time.perf_counter()
                matches = index.search(q, 10)
                timings.append((time.perf_counter() - t0) * 1000)
                found.append(matches.keys.astype(np.int64))
            cell[qname] = {
                "p50_ms": round(float(np.percentile(timings, 50)), 3),
                "p95_ms": round(float(np.percentile(timings, 95)), 3),
                **recall(found, exact[qname], matrix),
            }
        row["search"][f"expansion_{expansion}"] = cell
        print(
            f"  expansion {expansion:4d} "
            + "  ".join(
                f"{q}: recall {c['recall@10']:.4f} (tol {c['recall_tol@10']:.4f}) p50 {c['p50_ms']:.2f} "
                f"p95 {c['p95_ms']:.2f} ms"
                for q, c in cell.items()
            ),
            flush=True,
        )
    del index
    return row


def recall(found: list[np.ndarray], exact: dict, matrix: np.ndarray) -> dict:
    strict, tolerant = [], []
    for keys, rows, sims, q in zip(found, exact["rows"], exact["sims"], exact["queries"], strict=True):
        strict.append(len(set(keys.tolist()) & set(rows[:10].tolist())) / 10)
        tolerant.append(np.count_nonzero(matrix[keys] @ q >= sims[9] - 0.001) / 10)
    return {
        "recall@10": round(float(np.mean(strict)), 4),
        "recall_tol@10": round(float(np.mean(tolerant)), 4),
    }


def load_previous() -> dict:
    path = RESULTS / "ann_tuning.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    return {"machine": f"{os.cpu_count()} cores", "sizes": previous.get("sizes", {})}


def save(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ann_tuning.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"usearch HNSW settings, {results['machine']}; vectors as benchmarks/search_speed.py derives "
        "them; "
        "recall@10 vs exact numpy, 200 queries each: `text` = search_speed.py's encoded title queries, "
        "`copy` = noisy corpus-like vectors. Latency: one query at a time, p50/p95 ms. "
        "`tol` = ANN hits within 0.001 of the exact 10th similarity count as right.",
        "",
    ]
    for size, entry in sorted(results["sizes"].items(), key=lambda item: int(item[0])):
        ties = entry.get("ties", {})
        lines += [f"## {int(size):,} vectors", ""]
        for qname, t in ties.items():
            lines.append(
                f"- `{qname}` queries: exact 10th-11th similarity gap median "
                f"{t['gap_10_11_median']} "
                f"(p90 {t['gap_10_11_p90']}, < 0.001 for {t['gap_10_11_below_0.001']:.0%}); "
                f"1st-10th spread median {t['spread_1_10_median']}; "
                f"median {t['within_0.01_of_10th_median']} vectors within 0.01 of the 10th"
            )
        lines += [f"- {entry['note']}"] if entry.get("note") else []
        lines += [
            "",
            "| connectivity / expansion_add / dtype | build s | index MB | expansion_search "
            "| text recall@10 (tol) | text p50/p95 ms | copy recall@10 (tol) | copy p50/p95 ms "
            "| load |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in entry["configs"].values():
            for expansion, cell in row["search"].items():
                t, c = cell["text"], cell["copy"]
                lines.append(
                    f"| {row['connectivity']} / {row['expansion_add']} / {row['dtype']} | {row['build_s']} "
                    f"| {row['index_mb']} | {expansion.split('_')[1]} "
                    f"| {t['recall@10']} ({t['recall_tol@10']}) "
                    f"| {t['p50_ms']}/{t['p95_ms']} | {c['recall@10']} ({c['recall_tol@10']}) "
                    f"| {c['p50_ms']}/{c['p95_ms']} | {row['load_average_1m']} |"
                )
        lines.append("")
    (RESULTS / "ann_tuning.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()

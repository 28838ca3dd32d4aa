"""Search speed at 100k / 1M papers, old keyword path and new index side by side in one run (SQLite backend).

For each size: the database's own keyword index (FTS5 ``bm25()``, the "before") and the on-disk tantivy index
(the "after", keyword_index.py) answer the same queries through ``search_papers`` (query encoding included,
warm, one query at a time), in keyword and hybrid mode; semantic once (it is the same for both). Also: the
build time of each keyword index (FTS5 ``rebuild``, tantivy ``reindex --keyword``) and of the saved vector
index (HNSW graph), its recall@10 against exact search, and at the largest size the start-up of a worker
process (time to its first hybrid answer with a saved vector index, and its memory: RSS, and USS = what it
alone holds) with two workers running at once.

The corpus is the 74,728 real papers of ``--data`` (in listing order), grown past that with synthetic papers:
a real title's words shuffled, sentences drawn from real abstracts. Embedding a million abstracts would take
half a day here, so vectors are derived: each a real paperfeed vector (the bundled sample's 3,467) mixed with
a second one and a little noise, normalised. The database of each size is built once and kept under
``benchmarks/.cache/`` (gitignored; ~4 GB at 1M); delete it to rebuild. Queries: 200 real title prefixes of
3-6 words and 50 single topic words (as in shared/README.md's side-by-side of keyword engines).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/search_speed.py --sizes 100000,1000000
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import psutil
import sqlalchemy as sa

from paperfeed.domain.paper import Paper
from paperfeed.embed import current_model_key, document_text, get_encoder
from paperfeed.embed.vector_file import read_vector_file
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.ingest.records import Record
from paperfeed.search import keyword, keyword_sync, vector_index
from paperfeed.services.search import (
    query_vector_of,
    rebuild_keyword_index,
    rebuild_vector_index,
    search_papers,
)
from paperfeed.store import Database
from paperfeed.store.vectors import save_vectors

ROOT = Path(__file__).resolve().parent
CACHE, RESULTS = ROOT / ".cache", ROOT / "results"
DATA = ROOT.parents[1] / "shared" / "data" / "arxiv-daily-cs-2025-03-to-2026-07.jsonl.gz"
SAMPLE_VECTORS = ROOT.parent / "src" / "paperfeed" / "data" / "sample-vectors.npz"
STOP = {"with", "from", "for", "and", "the", "via", "using", "towards", "toward", "into", "through", "based"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the real papers (JSON lines, gzip)")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--title-queries", type=int, default=200)
    parser.add_argument("--word-queries", type=int, default=50)
    parser.add_argument(
        "--reuse-builds",
        action="store_true",
        help="keep the FTS5 index and the saved vector index of the cached databases, and "
        "report the build times measured when they were made",
    )
    args = parser.parse_args()
    real = load_real_papers(args.data)
    queries = make_queries(real, args.title_queries, args.word_queries)
    results = {
        "machine": f"{os.cpu_count()} cores",
        "queries": len(queries),
        "sizes": {},
        "embedding": embedding_throughput(real),
    }
    sizes = sorted(int(s) for s in args.sizes.split(","))
    for size in sizes:
        db, build = database_of(size, real, sizes)
        results["sizes"][str(size)] = measure(
            db, size, build, queries, startup=size == sizes[-1], reuse=args.reuse_builds
        )
        db.dispose()
        save(results)


def load_real_papers(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def make_queries(real: list[dict], titles: int, words: int) -> list[str]:
    rng = random.Random(250)
    out = []
    for obj in rng.sample(real, titles):
        parts = [w for w in obj["title"].replace(":", " ").split() if w]
        out.append(" ".join(parts[: rng.randint(3, 6)]))
    counts = collections.Counter(w.lower().strip(",.:;()") for o in real for w in o["title"].split())
    topical = [w for w, _ in counts.most_common(600)[20:] if w.isalpha() and len(w) > 4 and w not in STOP]
    return out + rng.sample(topical, words)


def corpus(real: list[dict]) -> Iterator[Paper]:
    """The real papers, then synthetic ones made of their words and sentences, forever (deterministic)."""
    for obj in real:
        yield Paper(
            id=obj["id"],
            title=obj["title"],
            abstract=obj["abstract"],
            authors=tuple(obj["authors"]),
            categories=_categories(obj),
            published=date.fromisoformat(obj["listed"]),
        )
    rng = random.Random(7)
    sentences = [s for obj in real[:20000] for s in obj["abstract"].split(". ") if len(s) > 30]
    n = 0
    while True:
        n += 1
        source = real[rng.randrange(len(real))]
        words = source["title"].split()
        rng.shuffle(words)
        yield Paper(
            id=f"synthetic-{n:07d}",
            title=" ".join(words),
            abstract=". ".join(rng.sample(sentences, rng.randint(4, 9))) + ".",
            authors=tuple(source["authors"][:5]),
            categories=_categories(source),
            published=date.fromisoformat(source["listed"]),
        )


def _categories(obj: dict) -> tuple[str, ...]:
    """arXiv categories; a few records list MSC codes ("68U10, 90C26") that ingest rightly refuses."""
    return tuple(c for c in obj["categories"] if " " not in c)


def derived_vectors(base: np.ndarray, start: int, count: int) -> np.ndarray:
    """Real vectors mixed pairwise plus noise: spread like real embeddings, unlike random ones."""
    rng = np.random.default_rng(start)
    first = base[rng.integers(0, len(base), count)]
    second = base[rng.integers(0, len(base), count)]
    mixed = first + 0.5 * second + rng.normal(0.0, 0.02, (count, base.shape[1])).astype(np.float32)
    return (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)


def database_of(size: int, real: list[dict], sizes: list[int]) -> tuple[Database, dict]:
    """The cached database of ``size`` papers, built (from the next smaller cached one) when missing."""
    path = CACHE / f"speed-{size}.sqlite3"
    meta = CACHE / f"speed-{size}.json"
    if path.exists() and meta.exists():
        db = Database(f"sqlite:///{path}")
        db.migrate()
        return db, json.loads(meta.read_text())
    CACHE.mkdir(parents=True, exist_ok=True)
    smaller = [s for s in sizes if s < size and (CACHE / f"speed-{s}.json").exists()]
    stored, build = 0, {"ingest_s": 0.0, "vectors_s": 0.0}
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    if smaller:
        stored = smaller[-1]
        shutil.copyfile(CACHE / f"speed-{stored}.sqlite3", path)
        build = json.loads((CACHE / f"speed-{stored}.json").read_text())
    db = Database(f"sqlite:///{path}")
    db.migrate()
    papers = corpus(real)
    for _ in range(stored):
        next(papers)
    base = read_vector_file(SAMPLE_VECTORS).vectors
    model = current_model_key()
    keyword.ENGINE = "database"  # ingest only; no index is kept in step while the corpus is grown
    while stored < size:
        batch = [next(papers) for _ in range(min(20000, size - stored))]
        started = time.perf_counter()
        with db.session() as session:
            run_ingest(session, [Record(p) for p in batch], batch_size=2000)
        build["ingest_s"] += time.perf_counter() - started
        started = time.perf_counter()
        vectors = derived_vectors(base, stored, len(batch))
        with db.session() as session:
            hashes = dict(
                session.execute(
                    sa.text("SELECT id, content_hash FROM papers WHERE id IN :ids").bindparams(
                        sa.bindparam("ids", expanding=True)
                    ),
                    {"ids": [p.id for p in batch]},
                ).all()
            )
            save_vectors(session, model, [(p.id, hashes[p.id]) for p in batch], vectors)
        build["vectors_s"] += time.perf_counter() - started
        stored += len(batch)
        print(f"\r{stored:,} papers stored", end="", flush=True)
    print()
    build = {k: round(v, 1) for k, v in build.items()}
    meta.write_text(json.dumps(build))
    return db, build


def measure(db: Database, size: int, build: dict, queries: list[str], *, startup: bool, reuse: bool) -> dict:
    row: dict = {"papers": size, "build_s": dict(build), "latency": {}}
    meta = CACHE / f"speed-{size}.json"
    saved = vector_index.index_for(db.url, current_model_key()).folder
    if not (reuse and "fts5_rebuild_s" in build):
        started = time.perf_counter()
        with db.engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO papers_fts(papers_fts) VALUES ('rebuild')"))
        row["build_s"]["fts5_rebuild_s"] = round(time.perf_counter() - started, 1)
    if not (reuse and "vector_index_s" in build and saved is not None and (saved / "CURRENT").exists()):
        started = time.perf_counter()
        rebuild_vector_index(db)
        row["build_s"]["vector_index_s"] = round(time.perf_counter() - started, 1)
    meta.write_text(json.dumps(row["build_s"]))  # with --reuse-builds a later run measures only the rest
    vector_index.forget_indexes()
    keyword.ENGINE = "database"  # no on-disk keyword index before it is built (and timed) below
    started = time.perf_counter()
    search_papers(db, "warm up the vector index", mode="semantic", limit=10)
    row["vector_index_open_s"] = round(time.perf_counter() - started, 2)
    index = vector_index.index_for(db.url, current_model_key())
    row["vector_memory"] = index.memory_mb()
    row["latency"]["semantic"] = measure_latency(db, queries, "semantic", f"{size:>9,} semantic")

    keyword.ENGINE = "database"
    for mode in ("keyword", "hybrid"):
        row["latency"][f"fts5 {mode}"] = measure_latency(db, queries, mode, f"{size:>9,} FTS5 {mode}")
    keyword.ENGINE = "index"
    started = time.perf_counter()
    rebuild_keyword_index(db)
    row["build_s"]["keyword_index_s"] = round(time.perf_counter() - started, 1)
    keyword_sync.forget_kept_indexes()
    for mode in ("keyword", "hybrid"):
        row["latency"][f"index {mode}"] = measure_latency(db, queries, mode, f"{size:>9,} index {mode}")
    row["ann_recall@10"] = ann_recall(index, get_encoder().encode(queries[:100]))
    folder = keyword_sync.kept_index(str(db.engine.url)).index.path
    row["keyword_index_mb"] = round(sum(p.stat().st_size for p in folder.iterdir()) / 2**20)
    row["db_mb"] = round(sum(p.stat().st_size for p in CACHE.glob(f"speed-{size}.sqlite3*")) / 2**20)
    row["rss_mb"] = round(psutil.Process().memory_info().rss / 2**20)
    row["load_average_1m"] = round(os.getloadavg()[0], 2)  # the machine is shared: read latencies with it
    if startup:
        row["worker_startup"] = worker_startup(db)
    print(json.dumps({k: v for k, v in row.items() if k != "latency"}))
    return row


def measure_latency(db: Database, queries: list[str], mode: str, label: str, warmup: int = 20) -> dict:
    """p50/p95/p99 over ``queries`` after ``warmup`` untimed ones (warm caches), one at a time.

    Every timed query is embedded within its time, as a query typed for the first time is: the embeddings
    kept by the warm-up or an earlier mode's pass are forgotten first.
    """
    for q in queries[:warmup]:
        search_papers(db, q, mode=mode, limit=20)
    query_vector_of.cache_clear()
    timings = []
    for q in queries:
        started = time.perf_counter()
        search_papers(db, q, mode=mode, limit=20)
        timings.append((time.perf_counter() - started) * 1000)
    out = {f"p{p}_ms": round(float(np.percentile(timings, p)), 2) for p in (50, 95, 99)}
    print(f"{label:28s} " + " ".join(f"{k} {v:8.2f}" for k, v in out.items()), flush=True)
    return out


def ann_recall(index: vector_index.VectorIndex, query_vectors: np.ndarray) -> dict:
    """Recall@10 of the saved graph (its candidates re-scored exactly, as a search does) against exact search
    over the same (memory-mapped) vectors: at the expansion shipped for its size, and at 1024."""
    base = index.base
    if base is None or base.ann is None:
        return {}
    vectors = np.asarray(base.vectors)
    exact = [set(np.argpartition(-(vectors @ q), 10)[:10].tolist()) for q in query_vectors]
    shipped = int(base.ann.expansion_search)  # type: ignore[attr-defined]
    dtype = base.ann.dtype.name.lower()  # type: ignore[attr-defined]
    out: dict = {"shipped_expansion": shipped, "graph_dtype": dtype}
    for expansion in sorted({shipped, 1024}):  # the index has no delta here: every hit is in the graph
        base.ann.expansion_search = expansion  # type: ignore[attr-defined]
        found = [
            {int(r) for r in base.rows_of([pid for pid, _ in index.nearest(q, 10)])[1]} for q in query_vectors
        ]
        out[f"expansion_{expansion}"] = round(
            float(np.mean([len(e & f) / 10 for e, f in zip(exact, found, strict=True)])), 4
        )
    base.ann.expansion_search = shipped  # type: ignore[attr-defined]
    return out


WORKER = """
import json, sys, time
started = time.perf_counter()
import psutil
from paperfeed.store import Database
from paperfeed.services.search import refresh_keyword_index, search_papers
db = Database(sys.argv[1])
refresh_keyword_index(db)
search_papers(db, "graph neural networks for molecules", mode="hybrid", limit=20)
ready = time.perf_counter() - started
from paperfeed.embed import current_model_key
from paperfeed.search import semantic
with db.session() as session:  # PostgreSQL: pgvector answers until the node's vector index is loaded
    while semantic.node_index(session, current_model_key()) is None:
        time.sleep(0.05)
vectors_ready = time.perf_counter() - started
timings = []
for q in ["diffusion models", "robot grasping with tactile sensing", "noise", "large language model agents"]:
    t = time.perf_counter()
    search_papers(db, q, mode="hybrid", limit=20)
    timings.append(time.perf_counter() - t)
info = psutil.Process().memory_full_info()
print(json.dumps({"ready_s": round(ready, 2), "vector_index_ready_s": round(vectors_ready, 2),
                  "first_queries_ms": [round(t * 1000, 1) for t in timings],
                  "rss_mb": round(info.rss / 2**20), "uss_mb": round(info.uss / 2**20),
                  "pss_mb": round(info.pss / 2**20)}))
time.sleep(float(sys.argv[2]))
"""


def worker_startup(db: Database) -> dict:
    """Two worker processes started at once on the saved indexes: time to the first answer and memory each."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, db.url, str(8 - 4 * i)], stdout=subprocess.PIPE, text=True, env=env
        )
        for i in range(2)
    ]
    out = [json.loads(p.communicate(timeout=900)[0].strip().splitlines()[-1]) for p in procs]
    print("workers:", out)
    return {"workers": out}


def embedding_throughput(real: list[dict]) -> dict:
    encoder = get_encoder()
    texts = [document_text(o["title"], o["abstract"]) for o in real[-96:]]
    encoder.encode_documents(texts[:16])
    started = time.perf_counter()
    encoder.encode_documents(texts)
    per_second = len(texts) / (time.perf_counter() - started)
    started = time.perf_counter()
    for o in real[:100]:
        encoder.encode([o["title"]])
    query_ms = (time.perf_counter() - started) * 10
    print(f"embedding: {per_second:.1f} abstracts/s, {query_ms:.1f} ms per short query")
    return {"abstracts_per_s": round(per_second, 1), "query_ms": round(query_ms, 2)}


def recall_cell(recall: dict) -> str:
    """``0.98 (256, i8) / 0.99 (1024)``; older rows measured at 1024 only."""
    if "shipped_expansion" not in recall:
        return str(recall.get("expansion_1024", ""))
    shipped = recall["shipped_expansion"]
    return (
        f"{recall[f'expansion_{shipped}']} ({shipped}, {recall['graph_dtype']}) / {recall['expansion_1024']}"
    )


def save(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    cell = lambda lat: "/".join(f"{lat[f'p{p}_ms']:g}" for p in (50, 95, 99))  # noqa: E731
    lines = [
        f"Search speed, SQLite backend, {results['machine']}, one run; {results['queries']} queries "
        "(200 title prefixes of 3-6 words, 50 single topic words), top 20, warm, through search_papers "
        "(each query embedded within its time: no embedding is kept from the warm-up or another pass). Old = "
        "the database's FTS5 index, new = the on-disk tantivy index.",
        "",
        "| papers | keyword p50/p95/p99 ms, old → new | hybrid p50/p95/p99 ms, old → new "
        "| semantic p50/p95/p99 ms | keyword index build s, FTS5 → tantivy | vector index build s "
        "| ANN recall@10, shipped expansion (1024) | load |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, row in sorted(results["sizes"].items(), key=lambda item: int(item[0])):
        lat, b = row["latency"], row["build_s"]
        lines.append(
            f"| {int(size):,} | {cell(lat['fts5 keyword'])} → **{cell(lat['index keyword'])}** | "
            f"{cell(lat['fts5 hybrid'])} → **{cell(lat['index hybrid'])}** | "
            f"{cell(lat['semantic'])} | "
            f"{b['fts5_rebuild_s']} → {b['keyword_index_s']} | {b['vector_index_s']} | "
            f"{recall_cell(row['ann_recall@10'])} | {row['load_average_1m']} |"
        )
    for size, row in results["sizes"].items():
        if "worker_startup" in row:
            lines += [
                "",
                f"Worker start-up at {int(size):,} papers (two workers at once, saved indexes): "
                + "; ".join(
                    f"ready in {w['ready_s']} s, RSS {w['rss_mb']} MB, USS {w['uss_mb']} MB, "
                    f"PSS {w['pss_mb']} MB"
                    for w in row["worker_startup"]["workers"]
                )
                + f". In the benchmark process: vector index opened in {row['vector_index_open_s']} s "
                f"({row['vector_memory']}); before this change every worker rebuilt the graph on start "
                "(362 s and ~2.3 GB per worker at 1M, search_speed.md of 2026-11-24).",
            ]
    e = results["embedding"]
    lines += ["", f"Embedding: {e['abstracts_per_s']} abstracts/s, {e['query_ms']} ms per short query."]
    (RESULTS / "search_speed.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

"""Search speed at 10k / 100k / 1M papers: index build time, latency percentiles, ANN recall, memory.

The corpus is the 74,728 real papers of shared/data (in listing order), grown past that with synthetic
papers: a real title's words shuffled, and sentences drawn from real abstracts. Embedding a million
abstracts would take half a day here, so vectors are derived: each paper's vector is a real paperfeed
vector (the bundled sample's 3,467, made by the encoder) mixed with a second one and a little noise, then
normalised. Latencies go through ``search_papers`` (query encoding included), warm, one query at a time.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/search_speed.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import psutil

from paperfeed.domain.paper import Paper
from paperfeed.embed import current_model_key, document_text, get_encoder
from paperfeed.embed.vector_file import read_vector_file
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.ingest.records import Record
from paperfeed.search import vector_index
from paperfeed.services.search import search_papers
from paperfeed.store import Database
from paperfeed.store.vectors import save_vectors

ROOT = Path(__file__).resolve().parent
WORK, RESULTS = ROOT / "work", ROOT / "results"
ARXIV = ROOT.parents[1] / "shared" / "data" / "arxiv-daily-cs-2025-03-to-2026-07.jsonl.gz"
SAMPLE_VECTORS = ROOT.parent / "src" / "paperfeed" / "data" / "sample-vectors.npz"
QUERIES = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=QUERIES)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    real = load_real_papers()
    results = load_previous()
    results["embedding"] = embedding_throughput(real)
    path = WORK / "speed.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    db.migrate()
    base = read_vector_file(SAMPLE_VECTORS)
    papers = corpus(real)
    stored, build = 0, {"ingest_s": 0.0, "vectors_s": 0.0}
    for size in sizes:
        build = grow(db, papers, base, stored, size, build)
        stored = size
        results["sizes"][str(size)] = measure(db, real, size, build, args.queries)
        save(results)


def load_real_papers() -> list[dict]:
    with gzip.open(ARXIV, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def corpus(real: list[dict]) -> Iterator[Paper]:
    """The real papers, then synthetic ones made of their words and sentences, forever."""
    for obj in real:
        yield Paper(id=obj["id"], title=obj["title"], abstract=obj["abstract"], authors=tuple(obj["authors"]),
                    categories=tuple(obj["categories"]), published=date.fromisoformat(obj["listed"]))
    rng = random.Random(7)
    sentences = [s for obj in real[:20000] for s in obj["abstract"].split(". ") if len(s) > 30]
    n = 0
    while True:
        n += 1
        source = real[rng.randrange(len(real))]
        words = source["title"].split()
        rng.shuffle(words)
        yield Paper(id=f"synthetic-{n:07d}", title=" ".join(words),
                    abstract=". ".join(rng.sample(sentences, rng.randint(4, 9))) + ".",
                    authors=tuple(source["authors"][:5]), categories=tuple(source["categories"]),
                    published=date.fromisoformat(source["listed"]))


def derived_vectors(base: np.ndarray, start: int, count: int) -> np.ndarray:
    """Real vectors mixed pairwise plus noise: spread like real embeddings, unlike random ones."""
    rng = np.random.default_rng(start)
    first = base[rng.integers(0, len(base), count)]
    second = base[rng.integers(0, len(base), count)]
    mixed = first + 0.5 * second + rng.normal(0.0, 0.02, (count, base.shape[1])).astype(np.float32)
    return (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)


def grow(db: Database, papers: Iterator[Paper], base, stored: int, size: int, build: dict) -> dict:  # type: ignore[no-untyped-def]
    """Ingest papers up to ``size`` through run_ingest, then store their vectors; times accumulate."""
    model = current_model_key()
    while stored < size:
        batch = [next(papers) for _ in range(min(20000, size - stored))]
        started = time.perf_counter()
        with db.session() as session:
            run_ingest(session, [Record(p) for p in batch], batch_size=2000)
        build["ingest_s"] += time.perf_counter() - started
        started = time.perf_counter()
        vectors = derived_vectors(base.vectors, stored, len(batch))
        with db.session() as session:
            hashes = dict(session.execute(_hash_sql(), {"ids": [p.id for p in batch]}).all())
            save_vectors(session, model, [(p.id, hashes[p.id]) for p in batch], vectors)
        build["vectors_s"] += time.perf_counter() - started
        stored += len(batch)
        print(f"\r{stored:,} papers stored", end="", flush=True)
    print()
    return build


def _hash_sql():  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    return sa.text("SELECT id, content_hash FROM papers WHERE id IN :ids").bindparams(
        sa.bindparam("ids", expanding=True))


def measure(db: Database, real: list[dict], size: int, build: dict, n_queries: int) -> dict:
    vector_index.forget_indexes()
    started = time.perf_counter()
    search_papers(db, "warm up the vector index", mode="semantic", limit=10)
    index_s = time.perf_counter() - started
    index = vector_index.index_for(db.url, current_model_key())
    rng = random.Random(size)
    queries = []
    for obj in rng.sample(real, n_queries):
        words = [w for w in obj["title"].replace(":", " ").split() if len(w) > 2]
        queries.append(" ".join(words[: rng.randint(2, 5)]))
    latency = measure_latency(db, queries, warmup=20, label=f"{size:>9,}")
    recall = ann_recall(index, get_encoder().encode(queries))
    build_s = {k: round(v, 1) for k, v in build.items()} | {"index_s": round(index_s, 1)}
    row = {"papers": size, "build_s": build_s,
           "index_kind": "usearch HNSW" if index.ann is not None else "exact numpy",
           "latency": latency, "ann_recall@10": recall,
           "rss_mb": round(psutil.Process(os.getpid()).memory_info().rss / 2**20),
           "index_mb": round((index.matrix.nbytes + (index.ann.memory_usage if index.ann is not None else 0))
                             / 2**20),
           "load_average_1m": round(os.getloadavg()[0], 2),  # the machine is shared: read latencies with it
           "db_mb": round(sum(p.stat().st_size for p in WORK.glob("speed.sqlite3*")) / 2**20)}
    print(f"{size:>9,} build {build_s} recall {recall} rss {row['rss_mb']} MB, index {row['index_mb']} MB")
    return row


def measure_latency(db: Database, queries: list[str], *, warmup: int, label: str) -> dict:
    """p50/p95/p99 of each search mode over ``queries``, after ``warmup`` untimed queries (warm caches)."""
    latency = {}
    for mode in ("keyword", "semantic", "hybrid"):
        for q in queries[:warmup]:
            search_papers(db, q, mode=mode, limit=20)
        timings = []
        for q in queries:
            started = time.perf_counter()
            search_papers(db, q, mode=mode, limit=20)
            timings.append((time.perf_counter() - started) * 1000)
        latency[mode] = {f"p{p}_ms": round(float(np.percentile(timings, p)), 2) for p in (50, 95, 99)}
        print(f"{label} {mode:8s} " + " ".join(f"{k} {v:7.2f}" for k, v in latency[mode].items()))
    return latency


def ann_recall(index, query_vectors: np.ndarray) -> dict:  # type: ignore[no-untyped-def]
    """Recall@10 of a usearch HNSW graph over the same vectors, against exact search, per expansion."""
    ann = index.ann
    if ann is None:  # below the threshold the service searches exactly; build a graph to measure anyway
        ann = vector_index._new_ann(index.matrix.shape[1])
        ann.add(np.arange(len(index.ids), dtype=np.uint64), index.matrix, threads=2)
    exact = [set(np.argsort(-(index.matrix @ q))[:10].tolist()) for q in query_vectors]
    out = {}
    for expansion in (32, 64, 128, 256):
        ann.expansion_search = expansion
        found = [set(int(k) for k in ann.search(q, 10).keys) for q in query_vectors]
        out[f"expansion_{expansion}"] = round(float(np.mean([len(e & f) / 10 for e, f in
                                                             zip(exact, found, strict=True)])), 4)
    ann.expansion_search = vector_index.EXPANSION_SEARCH
    return out


def embedding_throughput(real: list[dict]) -> dict:
    encoder = get_encoder()
    texts = [document_text(o["title"], o["abstract"]) for o in real[-160:]]
    encoder.encode_documents(texts[:16])
    started = time.perf_counter()
    encoder.encode_documents(texts)
    per_second = len(texts) / (time.perf_counter() - started)
    started = time.perf_counter()
    for o in real[:100]:
        encoder.encode([o["title"]])
    query_ms = (time.perf_counter() - started) * 10
    print(f"embedding: {per_second:.1f} abstracts/s, {query_ms:.1f} ms per short query")
    return {"abstracts_per_s": round(per_second, 1), "query_ms": round(query_ms, 2), "abstracts": len(texts),
            "load_average_1m": round(os.getloadavg()[0], 2)}


def load_previous() -> dict:
    path = RESULTS / "search_speed.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    return {"machine": f"{os.cpu_count()} cores", "sizes": previous.get("sizes", {})}


def save(results: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "search_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["| papers | build s (ingest + vectors + index) | keyword p50/p95/p99 ms "
             "| semantic p50/p95/p99 ms | hybrid p50/p95/p99 ms | ANN recall@10 (expansion 128 / 256) "
             "| index MB | RSS MB | load |",
             "|---|---|---|---|---|---|---|---|---|"]
    for size, row in sorted(results["sizes"].items(), key=lambda item: int(item[0])):
        b, lat, rec = row["build_s"], row["latency"], row["ann_recall@10"]
        timing = ("/".join(str(lat[m][f"p{p}_ms"]) for p in (50, 95, 99))
                  for m in ("keyword", "semantic", "hybrid"))
        cells = [f"{int(size):,}", f"{b['ingest_s']} + {b['vectors_s']} + {b['index_s']}", *timing,
                 f"{rec['expansion_128']} / {rec['expansion_256']}", str(row["index_mb"]), str(row["rss_mb"]),
                 str(row.get("load_average_1m", ""))]
        lines.append("| " + " | ".join(cells) + " |")
    embedding = results.get("embedding", {})
    (RESULTS / "search_speed.md").write_text(
        f"Search speed, SQLite backend, {results['machine']}; embedding {embedding.get('abstracts_per_s')} "
        f"abstracts/s, {embedding.get('query_ms')} ms per query\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

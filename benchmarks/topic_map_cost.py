"""What the topic map costs: a full build at ~75k papers through the service (SQLite), the layout and the
placement at 1M papers, a day's incremental placement, and the weight of the map and trends pages.

    flock /tmp/paperfeed-bench.lock python benchmarks/topic_map_cost.py \\
        --data /work/shared/data/arxiv-daily-cs-2025-03-to-2026-07.jsonl.gz \\
        [--vectors CACHE.npz] [--place 200000]

Corpus: the real papers of ``--data`` (74,728). Embedding them all takes an hour on two cores, so vectors are
real where one is at hand (the bundled sample's 3,467 and, with ``--vectors``, a cached file such as
``recommend_quality.py``'s ``benchmarks/.cache/recommend-vectors-*.npz``) and otherwise *derived*: two real
vectors mixed plus noise, spread like real embeddings (as ``search_speed.py`` grows its corpus). The cost of
t-SNE, HDBSCAN and the nearest-neighbour placement depends on the number of points and their spread, not
on whether a title matches its vector; topic labels on derived vectors are therefore not meaningful here.

1M: the layout is fitted on a fixed sample (20,000), so its cost is the 75k run's; placement is measured in
memory on ``--place`` derived vectors and scaled to 1M (it is linear: one matrix product per block), and
reading vectors and writing points are scaled from the 75k run's per-paper cost. Each measured part runs in
its own process, so its peak RSS is its own (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing
import os
import resource
import time
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from paperfeed.domain.paper import Paper
from paperfeed.embed import current_model_key
from paperfeed.embed.vector_file import read_vector_file
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.ingest.records import Record
from paperfeed.rank.topic_map import Layout, MapParams, place
from paperfeed.search import keyword
from paperfeed.store import Database
from paperfeed.store.vectors import save_vectors

ROOT = Path(__file__).resolve().parent
CACHE, RESULTS = ROOT / ".cache", ROOT / "results"
SAMPLE_VECTORS = ROOT.parent / "src" / "paperfeed" / "data" / "sample-vectors.npz"
MILLION = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument(
        "--vectors", type=Path, help="a cached vector file of papers of --data (real vectors)"
    )
    parser.add_argument("--place", type=int, default=200_000, help="derived vectors placed in memory")
    parser.add_argument("--sample-size", type=int, default=MapParams().sample_size)
    parser.add_argument("--prepare-only", action="store_true", help="build the cached corpus database, stop")
    args = parser.parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    results: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count()}
    results["load_before"] = os.getloadavg()
    db_path, results["corpus"] = corpus_database(args.data, args.vectors)
    if args.prepare_only:
        return
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:
        results["build_75k"] = pool.apply(measure_build, (str(db_path), args.sample_size))
    with spawn.Pool(1) as pool:
        results["incremental_day"] = pool.apply(measure_incremental, (str(db_path), 300))
    with spawn.Pool(1) as pool:
        results["place_in_memory"] = pool.apply(
            measure_placement, (args.vectors, args.sample_size, args.place)
        )
    with spawn.Pool(1) as pool:
        results["pages"] = pool.apply(measure_pages, (str(db_path),))
    results["million"] = extrapolate(results)
    results["load_after"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "topic_map_cost.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "topic_map_cost.md").write_text(report(results))
    print(report(results))


def base_vectors(extra: Path | None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Real vectors by paper id (the bundled sample's and ``extra``'s) and all of them as one matrix."""
    files = [read_vector_file(SAMPLE_VECTORS)] + ([read_vector_file(extra)] if extra else [])
    model = current_model_key()
    real = {pid: vec for f in files if f.model == model for pid, vec in zip(f.ids, f.vectors, strict=True)}
    return real, np.stack(list(real.values()))


def derived_vectors(base: np.ndarray, seed: int, count: int) -> np.ndarray:
    """Real vectors mixed pairwise plus noise (as in search_speed.py)."""
    rng = np.random.default_rng(seed)
    first = base[rng.integers(0, len(base), count)]
    second = base[rng.integers(0, len(base), count)]
    mixed = first + 0.5 * second + rng.normal(0.0, 0.02, (count, base.shape[1])).astype(np.float32)
    return (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)


def corpus_database(data: Path, extra: Path | None) -> tuple[Path, dict]:
    """The cached SQLite database of every paper of ``data`` with a vector each (built once)."""
    path = CACHE / "topic-map-corpus.sqlite3"
    meta = CACHE / "topic-map-corpus.json"
    if path.exists() and meta.exists():
        return path, json.loads(meta.read_text())
    CACHE.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with gzip.open(data, "rt", encoding="utf-8") as handle:
        real_papers = [json.loads(line) for line in handle]
    real, base = base_vectors(extra)
    db = Database(f"sqlite:///{path}")
    db.migrate()
    keyword.ENGINE = "database"  # ingest only; no keyword index kept in step
    model, started, with_real = current_model_key(), time.perf_counter(), 0
    for start in range(0, len(real_papers), 10000):
        papers = [_paper(obj) for obj in real_papers[start : start + 10000]]
        with db.session() as session:
            run_ingest(session, [Record(p) for p in papers], batch_size=2000)
        vectors = derived_vectors(base, start, len(papers))
        for i, paper in enumerate(papers):
            if paper.id in real:
                vectors[i], with_real = real[paper.id], with_real + 1
        with db.session() as session:
            hashes = dict(session.execute(sa.text("SELECT id, content_hash FROM papers")).all())
            save_vectors(session, model, [(p.id, hashes[p.id]) for p in papers], vectors)
        print(f"\r{start + len(papers):,} papers stored", end="", flush=True)
    print()
    info = {
        "papers": len(real_papers),
        "real_vectors": with_real,
        "seconds": round(time.perf_counter() - started),
    }
    meta.write_text(json.dumps(info))
    db.dispose()
    return path, info


def _paper(obj: dict) -> Paper:
    return Paper(
        id=obj["id"],
        title=obj["title"],
        abstract=obj["abstract"],
        authors=tuple(obj["authors"]),
        categories=tuple(c for c in obj["categories"] if " " not in c),
        published=date.fromisoformat(obj["listed"]),
    )


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure_build(db_path: str, sample_size: int) -> dict:
    """The nightly job as the service runs it: sample, fit, cluster, label, place all, write, recount."""
    from paperfeed.services.topic_map import build_map

    db = Database(f"sqlite:///{db_path}")
    rss_before = _peak_mb()
    started = time.perf_counter()
    report = build_map(db, MapParams(sample_size=sample_size))
    seconds = time.perf_counter() - started
    assert report.skipped is None, report.skipped
    with db.sessions() as session:
        labels = [
            r[0] for r in session.execute(sa.text("SELECT label FROM map_topics ORDER BY size DESC LIMIT 8"))
        ]
    db.dispose()
    return {
        "papers": report.papers,
        "topics": report.topics,
        "sample_size": sample_size,
        "seconds": round(seconds, 1),
        "phases_s": {k: round(v, 1) for k, v in report.phases.items()},
        "peak_rss_mb": _peak_mb(),
        "rss_before_mb": rss_before,
        "largest_topics": labels,
    }


def measure_incremental(db_path: str, count: int) -> dict:
    """A day's new papers (their points removed, then placed again) on the existing map."""
    from paperfeed.services.topic_map import place_new_papers

    db = Database(f"sqlite:///{db_path}")
    with db.session() as session:
        session.execute(
            sa.text(
                "DELETE FROM map_points WHERE paper_id IN "
                "(SELECT paper_id FROM map_points WHERE NOT anchor ORDER BY paper_id DESC LIMIT :n)"
            ),
            {"n": count},
        )
    started = time.perf_counter()
    report = place_new_papers(db)
    seconds = time.perf_counter() - started
    db.dispose()
    return {"placed": report.placed, "seconds": round(seconds, 2), "peak_rss_mb": _peak_mb()}


def measure_placement(extra: Path | None, sample_size: int, count: int) -> dict:
    """``count`` more papers placed by a sample of ``sample_size``, in memory. The placement's cost does not
    depend on where the sample lies or on its topics, so they are random here (the build measures the fit)."""
    _, base = base_vectors(extra)
    rng = np.random.default_rng(3)
    layout = Layout(
        [str(i) for i in range(sample_size)],
        derived_vectors(base, 1, sample_size),
        rng.uniform(0, 1000, (sample_size, 2)).astype(np.float32),
        rng.integers(0, 60, sample_size).astype(np.int32),
    )
    started, placed = time.perf_counter(), 0
    while placed < count:
        block = derived_vectors(base, 1000 + placed, min(20000, count - placed))
        place(layout, block, MapParams().neighbours)
        placed += len(block)
    place_s = time.perf_counter() - started
    return {
        "sample_size": sample_size,
        "placed": placed,
        "place_seconds": round(place_s, 1),
        "place_per_100k_s": round(place_s / placed * 100_000, 1),
        "peak_rss_mb": _peak_mb(),
    }


def measure_pages(db_path: str) -> dict:
    """Bytes of the map and trends pages, raw and gzipped, and the trends page's first and cached times."""
    from starlette.testclient import TestClient

    from paperfeed.config import Settings
    from paperfeed.web.app import create_app

    db = Database(f"sqlite:///{db_path}")
    client = TestClient(create_app(Settings(home=CACHE, secret_key="benchmark"), db))
    weights, timings = {}, {}
    client.get("/map/highlights.json?q=warm up")  # the first search loads the query encoder
    for name, url in [
        ("map.html", "/map"),
        ("map.js", "/static/map.js"),
        ("map.css", "/static/map.css"),
        ("points.json (wide view)", "/map/points.json"),
        ("points.json (zoomed x10)", "/map/points.json?box=450,450,550,550"),
        ("highlights.json (search)", "/map/highlights.json?q=diffusion"),
        ("trends.html", "/trends"),
        ("topic page", "/topics/0"),
    ]:
        started = time.perf_counter()
        body = client.get(url).content
        timings[name] = round((time.perf_counter() - started) * 1000)
        weights[name] = {"bytes": len(body), "gzip_bytes": len(gzip.compress(body, 6))}
    for again in ("map.html", "trends.html"):
        started = time.perf_counter()
        client.get("/map" if again == "map.html" else "/trends")
        timings[f"{again} (again)"] = round((time.perf_counter() - started) * 1000)
    db.dispose()
    first_view = ["map.html", "map.js", "map.css", "points.json (wide view)", "highlights.json (search)"]
    return {
        "weights": weights,
        "ms": timings,
        "map_first_view_gzip_bytes": sum(weights[k]["gzip_bytes"] for k in first_view),
    }


def extrapolate(results: dict) -> dict:
    """1M from the parts that grow with it: placement (measured in memory, scaled) and the build's reading
    and writing per paper (its ``read_and_place`` less the placement itself, and ``write``)."""
    build, memory = results["build_75k"], results["place_in_memory"]
    phases = build["phases_s"]
    per_100k = memory["place_per_100k_s"]
    outside = build["papers"] - build["sample_size"]
    reading = max(0.0, phases["read_and_place"] - per_100k * outside / 100_000) / build["papers"]
    writing = phases["write"] / build["papers"]
    place_1m = per_100k * (MILLION - build["sample_size"]) / 100_000
    database = (reading + writing) * MILLION
    fit = phases["read_sample"] + phases["fit"]
    return {
        "fit_seconds": round(fit),
        "place_seconds": round(place_1m),
        "database_seconds": round(database),
        "total_seconds": round(fit + place_1m + database),
        "points_in_memory_mb": round(MILLION * 170 / 1e6),  # a MapPoint and its id string, ~170 bytes
        "peak_rss_mb": round(max(memory["peak_rss_mb"], build["peak_rss_mb"]) + MILLION * 170 / 1e6),
        "how": "the 75k build's fit (a fixed sample), placement measured in memory on "
        f"{memory['placed']:,} papers and scaled, reading and writing per paper from the 75k build; RSS: the "
        "larger of the two runs plus the placed points held until they are written",
    }


def _phases(phases: dict) -> str:
    return ", ".join(f"{name.replace('_', ' ')} {seconds:.0f} s" for name, seconds in phases.items())


def report(r: dict) -> str:
    b, m, p, mil, inc = r["build_75k"], r["place_in_memory"], r["pages"], r["million"], r["incremental_day"]
    lines = [
        "# Topic map cost",
        "",
        f"Run {r['date']} on {r['cores']} cores (load average before {r['load_before'][0]:.1f}, after "
        f"{r['load_after'][0]:.1f}); `benchmarks/topic_map_cost.py`. Corpus: {r['corpus']['papers']:,} real "
        f"papers, {r['corpus']['real_vectors']:,} with their real MiniLM vectors, the rest derived (see the "
        "script's docstring). openTSNE + HDBSCAN, one thread.",
        "",
        "| what | papers | wall time | peak RSS |",
        "|---|---|---|---|",
        f"| full build through the service (SQLite): sample {b['sample_size']:,}, fit, {b['topics']} topics, "
        f"place and write all ({_phases(b['phases_s'])}) | {b['papers']:,} | **{b['seconds']:.0f} s** | "
        f"**{b['peak_rss_mb']:.0f} MB** |",
        f"| placement in memory (k={MapParams().neighbours} nearest sampled) | {m['placed']:,} | "
        f"{m['place_seconds']:.0f} s ({m['place_per_100k_s']:.0f} s per 100k) | {m['peak_rss_mb']:.0f} MB |",
        f"| a day's new papers placed on the existing map | {inc['placed']:,} | {inc['seconds']:.1f} s | "
        f"{inc['peak_rss_mb']:.0f} MB |",
        f"| **full build at 1M (extrapolated)**: fit {mil['fit_seconds']:.0f} s + place "
        f"{mil['place_seconds']} s + database {mil['database_seconds']} s | 1,000,000 | "
        f"**{mil['total_seconds'] / 60:.0f} min** | "
        f"~{mil['peak_rss_mb']:.0f} MB |",
        "",
        f"1M: {mil['how']}.",
        "",
        f"## Page weights ({b['papers']:,} papers)",
        "",
        "| resource | bytes | gzipped | time (ms, TestClient) |",
        "|---|---|---|---|",
    ]
    for name, w in p["weights"].items():
        lines.append(f"| {name} | {w['bytes']:,} | {w['gzip_bytes']:,} | {p['ms'][name]} |")
    lines += [
        f"| map.html, again | | | {p['ms']['map.html (again)']} |",
        f"| trends.html, again (cached counts) | | | {p['ms']['trends.html (again)']} |",
        "",
        f"First view of `/map` (page, script, style, the wide view's points, a search's highlights): "
        f"**{p['map_first_view_gzip_bytes'] / 1024:.0f} KB gzipped**; the wide view sends at most "
        "`VIEW_LIMIT` points whatever the corpus size, so it weighs the same at 1M.",
        "",
        "Largest topics of the build (on partly derived vectors): " + "; ".join(b["largest_topics"]),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()

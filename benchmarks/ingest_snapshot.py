"""Snapshot import speed and memory: `paperfeed ingest snapshot` on N generated records, in a subprocess.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/ingest_snapshot.py [--n 100000] [--small 10000]

The records are the 1,000 real ones of the shared Kaggle sample, repeated with new arXiv ids, written to
a temporary gzip file. Each size is imported into a fresh SQLite database by the real CLI, then imported
again (every record unchanged). Peak RSS is the child's ``ru_maxrss``, measured by a wrapper process per
run so sizes do not mask each other; a flat peak from the small to the large run is the point: the
importer streams. Prints the figures and writes ``benchmarks/results/ingest_snapshot.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-snapshot-sample-1000.jsonl"
RESULTS = ROOT / "benchmarks" / "results" / "ingest_snapshot.json"
# Runs the command and reports the peak RSS (KiB on Linux) of its largest descendant: the CLI process.
MEASURE = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def new_id(i: int) -> str:
    """Distinct valid new-style ids: yymm from 1001 upwards, five-digit serials."""
    yymm = 1001 + (i // 99999) // 12 * 100 + (i // 99999) % 12
    return f"{yymm:04d}.{i % 99999 + 1:05d}"


def generate(path: Path, n: int) -> None:
    real = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as handle:
        for i in range(n):
            record = dict(real[i % len(real)], id=new_id(i))
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def run_import(archive: Path, database: Path) -> dict[str, float]:
    env = {
        **os.environ,
        "PAPERFEED_DATABASE_URL": f"sqlite:///{database}",
        "OPENBLAS_NUM_THREADS": "1",
        "PAPERFEED_HOME": str(database.parent),
    }
    command = [
        sys.executable,
        "-c",
        MEASURE,
        sys.executable,
        "-m",
        "paperfeed",
        "ingest",
        "snapshot",
        str(archive),
    ]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import failed:\n{done.stdout}\n{done.stderr}")
    summary = " ".join(done.stderr.split())
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_kib / 1024, 1), "summary": summary}


def measure(n: int, workdir: Path) -> dict[str, object]:
    archive = workdir / f"snapshot-{n}.jsonl.gz"
    generate(archive, n)
    database = workdir / f"paperfeed-{n}.sqlite3"
    first = run_import(archive, database)
    second = run_import(archive, database)
    result = {
        "records": n,
        "gzip_mb": round(archive.stat().st_size / 1e6, 1),
        "first_import": {**first, "records_per_s": round(n / first["seconds"])},
        "reimport_unchanged": {**second, "records_per_s": round(n / second["seconds"])},
    }
    print(
        f"{n:>8} records: import {first['seconds']:7.1f} s = {n / first['seconds']:7.0f} rec/s, "
        f"peak RSS {first['peak_rss_mb']:6.1f} MB | re-import {second['seconds']:7.1f} s = "
        f"{n / second['seconds']:7.0f} rec/s, peak RSS {second['peak_rss_mb']:6.1f} MB"
    )
    print(f"          {second['summary']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="records in the large run")
    parser.add_argument("--small", type=int, default=10_000, help="records in the small run (RSS baseline)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paperfeed-bench-") as tmp:
        runs = [measure(n, Path(tmp)) for n in (args.small, args.n)]
    small, large = (run["first_import"]["peak_rss_mb"] for run in runs)  # type: ignore[index]
    print(
        f"peak RSS {small} MB at {args.small} records vs {large} MB at {args.n}: "
        f"{'flat' if large <= small * 1.25 else 'GROWING'} (ratio {large / small:.2f})"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "paperfeed ingest snapshot (SQLite, subprocess, real CLI)",
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "runs": runs,
                "rss_ratio_large_vs_small": round(large / small, 2),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

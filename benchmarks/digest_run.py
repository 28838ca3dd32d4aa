"""Digest run at scale: 10,000 confirmed subscribers, the bundled sample, a real SMTP sink on loopback.

Measures the two phases of ``paperfeed digest run`` separately: building the outbox (trending once, then
one transaction per subscriber with its mail and digest_papers rows) and sending it (one SMTP connection,
each message marked sent in its own commit). The sink is aiosmtpd on 127.0.0.1 that counts and discards,
so the figures are paperfeed's cost, not a mail server's.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/digest_run.py [--subscribers 10000]

Writes benchmarks/results/digest_run.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from paperfeed.config import Settings
from paperfeed.mail.outbox import outbox_counts, send_pending
from paperfeed.services.digest import build_digests
from paperfeed.services.sample import load_sample
from paperfeed.store import Database
from paperfeed.store.models import DigestPaperRow, SubscriptionRow

RESULTS = Path(__file__).resolve().parent / "results" / "digest_run.json"
NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)  # the sample's last listing day


class CountingSink:
    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        self.count += 1
        self.bytes += len(envelope.original_content or b"")
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add_subscribers(db: Database, count: int) -> None:
    rows = [
        {
            "email": f"reader{n:05d}@example.org",
            "frequency": "daily",
            "status": "active",
            "created_at": NOW,
            "confirmed_at": NOW,
        }
        for n in range(count)
    ]
    with db.session() as session:
        session.execute(sa.insert(SubscriptionRow), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        db.migrate()
        started = time.perf_counter()
        load_sample(db)
        load_s = time.perf_counter() - started
        add_subscribers(db, args.subscribers)

        sink = CountingSink()
        controller = Controller(sink, hostname="127.0.0.1", port=free_port())
        controller.start()
        settings = Settings(
            _env_file=None,
            home=Path(tmp),
            secret_key="benchmark",  # type: ignore[call-arg]
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
            base_url="https://papers.example.org",
        )
        try:
            started = time.perf_counter()
            build = build_digests(db, settings, frequency="daily", now=NOW)
            build_s = time.perf_counter() - started
            started = time.perf_counter()
            delivery = send_pending(db, settings, now=NOW)
            send_s = time.perf_counter() - started
            started = time.perf_counter()
            rerun = build_digests(db, settings, frequency="daily", now=NOW)
            rerun_s = time.perf_counter() - started
        finally:
            controller.stop()
        with db.sessions() as session:
            digest_rows = session.scalar(sa.select(sa.func.count()).select_from(DigestPaperRow))
        db_mb = (Path(tmp) / "bench.sqlite3").stat().st_size / 1e6
        counts = outbox_counts(db)
        db.dispose()

    everyone = delivery.sent == sink.count == args.subscribers == counts.get("sent")
    assert everyone, (delivery, sink.count, counts)
    result = {
        "benchmark": "digest_run",
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
        "backend": "sqlite",
        "subscribers": args.subscribers,
        "papers_per_mail": build.papers / max(build.queued, 1),
        "digest_papers_rows": digest_rows,
        "sample_load_s": round(load_s, 2),
        "build_outbox_s": round(build_s, 2),
        "build_per_s": round(build.queued / build_s, 1),
        "send_s": round(send_s, 2),
        "send_messages_per_s": round(delivery.sent / send_s, 1),
        "mean_message_kb": round(sink.bytes / max(sink.count, 1) / 1024, 1),
        "rerun_same_period_s": round(rerun_s, 2),
        "rerun_already_queued": rerun.already_queued,
        "database_mb": round(db_mb, 1),
    }
    print(f"{args.subscribers} subscribers, {result['papers_per_mail']:.0f} papers per mail")
    print(f"build outbox: {build_s:.1f} s ({result['build_per_s']} mails/s)")
    print(
        f"send:         {send_s:.1f} s ({result['send_messages_per_s']} messages/s, "
        f"{result['mean_message_kb']} KB each)"
    )
    print(f"rerun (nothing to do): {rerun_s:.2f} s; database {db_mb:.0f} MB")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()

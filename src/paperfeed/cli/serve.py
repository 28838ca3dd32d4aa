"""`paperfeed serve`: the web app under uvicorn, with papers embedded in the background.

On PostgreSQL, serve never changes the schema: it checks that the database is at this code's revision and
otherwise says to run `paperfeed migrate`, the explicit deploy step. SQLite, the one-command demo, is
migrated here as before. Everything a worker needs from the database (the signing key, the schema) is
settled in this process before any worker starts, and nothing slow runs on a worker's start-up path.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Annotated

import sqlalchemy as sa
import typer
import uvicorn
from rich.markup import escape

from paperfeed.cli.common import console
from paperfeed.config import Settings, get_settings
from paperfeed.logs import configure_logging
from paperfeed.services.batch_embed import EMBED_LEASE, EMBED_LEASE_TTL  # one embedder on all nodes
from paperfeed.services.digest import start_digest_scheduler
from paperfeed.services.library import embed_library_pending
from paperfeed.services.search import embed_pending
from paperfeed.services.submissions import start_submission_worker
from paperfeed.services.sync import start_sync_scheduler
from paperfeed.services.topic_map import start_map_scheduler
from paperfeed.store import Database, leases
from paperfeed.store.db import head_revision
from paperfeed.web.background import PeriodicEmbedder

EMBED_DELAY_S = 10.0  # the workers start first; loading the encoder and a backlog's first batch can wait
# uvicorn kills a worker that does not answer its supervisor's ping in time; 5 s (its default) is short on
# a loaded two-core machine, and a killed worker only starts over.
WORKER_HEALTHCHECK_S = 30


class _Terminated(BaseException):
    """SIGTERM: raised in the main thread so that the embedder and schedulers stop before we exit."""


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (rate limits and sessions are shared)."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
    embed_every: float = typer.Option(
        60.0, help="Seconds between background embedding rounds; 0 turns background embedding off."
    ),
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            help="Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed; "
            "default PAPERFEED_FORWARDED_ALLOW_IPS, empty: none.",
        ),
    ] = None,
) -> None:
    """Serve the site, the JSON API (/api/docs), feeds, /healthz, /readyz and /metrics."""
    configure_logging()  # JSON lines on stderr (PAPERFEED_LOG_FORMAT=text for a terminal)
    settings = get_settings()
    db = _database_ready_to_serve(settings)
    settings.resolved_secret_key()  # made once (in the database) here, not raced for by the workers
    trusted = settings.forwarded_allow_ips if forwarded_allow_ips is None else forwarded_allow_ips
    trusted = ",".join(part.strip() for part in trusted.split(",") if part.strip())
    metrics_dir = _multiprocess_metrics_dir() if workers > 1 and not reload else None
    stop_digests = start_digest_scheduler(db)  # daemon thread; a no-op unless PAPERFEED_DIGEST_SCHEDULER=true
    stop_sync = start_sync_scheduler(db, settings)  # a no-op unless PAPERFEED_SYNC_CATEGORIES is set
    stop_submissions = start_submission_worker(db, settings)  # fetches queued submissions from arXiv
    stop_map = start_map_scheduler(db)  # the topic map: nightly rebuild, new papers placed every 10 min
    embedder = None
    if embed_every > 0:
        embedder = PeriodicEmbedder(db, _embed_round, embed_every, delay=EMBED_DELAY_S)
        embedder.start()
    console.print(f"paperfeed on http://{host}:{port}  (API docs: /api/docs)")
    terminated = False
    signal.signal(signal.SIGTERM, _raise_terminated)  # uvicorn re-raises it after its graceful shutdown
    try:
        uvicorn.run(
            "paperfeed.web.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=None if reload else workers,
            reload=reload,
            log_level="info",
            access_log=False,
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted or None,
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
        )
    except _Terminated:
        terminated = True
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the clean-up short
        if embedder and not embedder.stop():
            console.print("the embedder did not stop within a minute; exiting anyway")
        for stop in (stop_digests, stop_sync, stop_submissions, stop_map):
            stop()
        db.dispose()
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    if terminated:  # the exit status still says that SIGTERM stopped us
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _database_ready_to_serve(settings: Settings) -> Database:
    db = Database(settings.resolved_database_url)
    try:
        if db.is_sqlite:
            db.migrate()  # the embedded default stays a one-command install
            return db
        current = db.schema_revision()
    except sa.exc.OperationalError as error:
        reason = escape(str(error.orig or error).splitlines()[0])
        console.print(f"[red]error:[/] cannot reach the database: {reason}")
        raise typer.Exit(1) from None
    if current != head_revision():
        console.print(
            f"[red]error:[/] the database schema is at {current or 'nothing yet'}, this paperfeed "
            f"needs {head_revision()}: run `paperfeed migrate` first (once, from any node)"
        )
        raise typer.Exit(1)
    return db


def _multiprocess_metrics_dir() -> Path | None:
    """Several workers: Prometheus counters go to files in one directory that every worker's /metrics adds
    up (prometheus_client's multiprocess mode), so a scrape answers for the whole node, whichever worker
    takes it. Set before the workers start, as the library needs. Returns the directory to remove at exit
    (None if the operator chose it)."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="paperfeed-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # a previous run's counts would be added to this one's
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return None if configured else path


def _raise_terminated(_signal: int, _frame: FrameType | None) -> None:
    raise _Terminated


def _embed_round(db: Database, *, on_progress: Callable[[int, int], None]) -> int:
    """New papers first (search and every listing need them), then readers' unmatched library entries.

    One embedder at a time over all nodes (a lease), so two never encode the same papers; between two
    batches it renews the lease and stops if the server is stopping."""
    holder = leases.holder_name()
    if not leases.acquire(db, EMBED_LEASE, holder, EMBED_LEASE_TTL):
        return 0  # another node's embedder is at it

    def between_batches(done: int, total: int) -> None:
        on_progress(done, total)  # the embedder's stop check
        leases.renew(db, EMBED_LEASE, holder, EMBED_LEASE_TTL)

    try:
        return embed_pending(db, on_progress=between_batches) + embed_library_pending(
            db, on_progress=between_batches
        )
    finally:
        with contextlib.suppress(sa.exc.SQLAlchemyError):  # unreachable: the lease simply runs out
            leases.release(db, EMBED_LEASE, holder)

"""`paperfeed serve`: the web app under uvicorn, with papers embedded in the background."""

from __future__ import annotations

import typer
import uvicorn

from paperfeed.cli.common import console, open_db
from paperfeed.config import get_settings
from paperfeed.logs import configure_logging
from paperfeed.services.digest import start_digest_scheduler
from paperfeed.services.library import embed_library_pending
from paperfeed.services.search import embed_pending
from paperfeed.services.sync import start_sync_scheduler
from paperfeed.store import Database
from paperfeed.web.background import PeriodicEmbedder


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for every interface)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each holds its own rate-limit counters)."),
    reload: bool = typer.Option(False, help="Restart on code changes (development)."),
    embed_every: float = typer.Option(
        60.0, help="Seconds between background embedding rounds; 0 turns background embedding off."
    ),
) -> None:
    """Serve the site, the JSON API (/api/docs), feeds, /healthz and /metrics."""
    configure_logging()  # JSON lines on stderr (PAPERFEED_LOG_FORMAT=text for a terminal)
    get_settings().resolved_secret_key()  # made once here, not raced for by the workers
    db = open_db()  # migrate once, before any worker starts
    start_digest_scheduler(db)  # daemon thread; a no-op unless PAPERFEED_DIGEST_SCHEDULER=true
    start_sync_scheduler(db, get_settings())  # daemon thread; a no-op unless PAPERFEED_SYNC_CATEGORIES is set
    embedder = PeriodicEmbedder(db, _embed_round, embed_every) if embed_every > 0 else None
    if embedder:
        embedder.start()
    console.print(f"paperfeed on http://{host}:{port}  (API docs: /api/docs)")
    try:
        uvicorn.run(
            "paperfeed.web.app:create_app", factory=True, host=host, port=port,
            workers=None if reload else workers, reload=reload, log_level="info", access_log=False,
        )
    finally:
        if embedder:
            embedder.stop()
        db.dispose()


def _embed_round(db: Database) -> int:
    """New papers first (search and every listing need them), then readers' unmatched library entries."""
    return embed_pending(db) + embed_library_pending(db)

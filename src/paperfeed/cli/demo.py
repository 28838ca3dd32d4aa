"""`paperfeed demo`: load the bundled sample of real papers (once, with its vectors) and serve the site."""

from __future__ import annotations

import os

import typer

from paperfeed.cli.common import console, open_db, print_summary, progress_bar
from paperfeed.cli.serve import serve
from paperfeed.config import get_settings
from paperfeed.services.sample import load_sample, sample_path


def demo(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    load_only: bool = typer.Option(False, "--load-only", help="Load the sample, then exit without serving."),
) -> None:
    """A working site at once: the bundled sample with precomputed vectors, on the embedded default."""
    db = open_db()
    with progress_bar("loading the bundled sample", sample_path().stat().st_size, in_bytes=True) as bar:
        summary = load_sample(db, on_bytes=lambda pos: bar.update(bar.task, completed=pos))
    if summary is None:
        console.print("the bundled sample is already loaded")
    else:
        print_summary(summary)
    db.dispose()
    if not load_only:
        use_served_address(host, port)
        serve(host=host, port=port, workers=1, reload=False, embed_every=60.0)


def use_served_address(host: str, port: int) -> str:
    """Links in the demo's mails (confirm, unsubscribe, papers) point where the demo serves, unless
    ``PAPERFEED_BASE_URL`` says otherwise: the default base URL names port 8000, whatever ``--port`` was.
    Set in the environment, so the server's workers (which read their own settings) see it too."""
    if not os.environ.get("PAPERFEED_BASE_URL"):
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        shown = f"[{shown}]" if ":" in shown else shown
        os.environ["PAPERFEED_BASE_URL"] = f"http://{shown}:{port}"
        get_settings.cache_clear()
    return os.environ["PAPERFEED_BASE_URL"]

"""Background embedding while the site serves: new papers get vectors without any request waiting.

Embedding is the slow part of search (~22 abstracts/s on two cores), so it never runs inside a request;
a daemon thread calls ``embed_pending`` every ``interval`` seconds. It commits per batch, so stopping the
server mid-way loses at most one batch of work. Until a paper has its vector, search finds it by keyword.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from paperfeed.store import Database

log = logging.getLogger("paperfeed.embedder")


class PeriodicEmbedder:
    def __init__(self, db: Database, embed: Callable[[Database], int], interval: float = 60.0) -> None:
        self.db = db
        self.embed = embed
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paperfeed-embedder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                done = self.embed(self.db)
                if done:
                    log.info("embedded %d new papers", done)
            except Exception:  # keep serving; the next round retries (and logs the traceback)
                log.exception("background embedding failed")
            self._stop.wait(self.interval)

"""Background embedding while the site serves: new papers get vectors without any request waiting.

Embedding is the slow part of search (~22 abstracts/s on two cores), so it never runs inside a request;
a daemon thread calls ``embed_pending`` (or any function taking the database and an ``on_progress``
callback) every ``interval`` seconds. It commits per batch, so stopping the
server mid-way loses at most one batch of work. Until a paper has its vector, search finds it by keyword.

Two things keep it out of the way of serving: the thread runs at a lower CPU priority (``nice`` 10; the
encoder's own threads, made from it, inherit that), so workers starting or answering requests come first
whatever the backlog; and :meth:`PeriodicEmbedder.stop` ends it between two batches, so a SIGTERM never
exits the process while onnxruntime is inside a batch (which aborts the process instead of stopping it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from typing import Protocol

from paperfeed.store import Database

log = logging.getLogger("paperfeed.embedder")
NICENESS = 10


class EmbedRound(Protocol):
    def __call__(self, db: Database, *, on_progress: Callable[[int, int], None]) -> int: ...


class StopEmbedding(Exception):
    """Raised between two batches once :meth:`PeriodicEmbedder.stop` was called."""


class PeriodicEmbedder:
    def __init__(
        self, db: Database, embed: EmbedRound, interval: float = 60.0, *, delay: float = 0.0
    ) -> None:
        self.db = db
        self.embed = embed
        self.interval = interval
        self.delay = delay  # before the first round: let the web workers start first
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paperfeed-embedder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> bool:
        """Ask for a stop and wait for the batch in progress to end; True once the thread is gone."""
        self._stop.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def check_stop(self, *_progress: object) -> None:
        """Handed to ``embed`` as its ``on_progress``: called between batches, the place to stop at."""
        if self._stop.is_set():
            raise StopEmbedding

    def _run(self) -> None:
        _lower_priority()
        self._stop.wait(self.delay)
        while not self._stop.is_set():
            try:
                done = self.embed(self.db, on_progress=self.check_stop)
                if done:
                    log.info("embedded %d new papers", done)
            except StopEmbedding:
                return
            except Exception:  # keep serving; the next round retries (and logs the traceback)
                log.exception("background embedding failed")
            self._stop.wait(self.interval)


def _lower_priority() -> None:
    """Linux: the nice value is per thread, so this lowers the embedder alone, not the whole server."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: normal priority it is
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)

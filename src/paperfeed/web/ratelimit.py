"""A small in-process sliding-window rate limiter.

Why not a library: the need is one structure (timestamps per key in a deque) and one rule; the usual
libraries bring storage backends we do not want. In-process means per worker: with N uvicorn workers a
client gets at most N times the limit, which is fine for slowing down password guessing and vote spam.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` events per ``seconds`` for one key."""

    count: int
    seconds: float


class SlidingWindowLimiter:
    def __init__(self, limits: dict[str, Limit], clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = dict(limits)
        self._clock = clock
        self._events: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, key: str) -> float | None:
        """Record one event; returns None if allowed, else the seconds until the next one would be."""
        limit = self.limits[bucket]
        now = self._clock()
        with self._lock:
            events = self._events.setdefault((bucket, key), deque())
            while events and events[0] <= now - limit.seconds:
                events.popleft()
            if len(events) >= limit.count:
                return max(events[0] + limit.seconds - now, 0.1)
            events.append(now)
            if len(self._events) > 100_000:  # forget idle keys so memory stays bounded
                self._events = {k: v for k, v in self._events.items() if v and v[-1] > now - 3600}
            return None


DEFAULT_LIMITS = {
    "signup": Limit(5, 3600),
    "login": Limit(10, 300),
    # Per account, whatever the address: guessing one password from many addresses is slowed down too.
    "login_account": Limit(30, 3600),
    "vote": Limit(60, 60),
    "comment": Limit(10, 60),
    "submit": Limit(10, 3600),
}

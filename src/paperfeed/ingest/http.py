"""A polite HTTP client for arXiv and friends: one connection, a request interval, retries with back-off.

arXiv asks for at most one request every three seconds on a single connection, and answers overload with
``503`` + ``Retry-After``. Every network source goes through :class:`PoliteClient` so that no code path
can forget that. The interval comes from settings (``PAPERFEED_REQUEST_INTERVAL_S``) so tests can shrink it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from paperfeed.config import Settings, get_settings
from paperfeed.ingest.records import MalformedSource

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 600.0  # a server asking for more than ten minutes is better retried by a later run


class SourceUnavailable(MalformedSource):
    """The remote source kept failing after every retry; nothing of the failed page was stored.

    A subclass of :class:`MalformedSource` because callers treat both the same way: one clear error,
    and the database left as it was (or at the last committed page for harvests).
    """


class PoliteClient:
    """``httpx.Client`` with a minimum interval between requests and retries on transient failures."""

    def __init__(
        self,
        *,
        interval_s: float,
        retries: int = 4,
        timeout_s: float = 30.0,
        user_agent: str = "paperfeed",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval_s = max(0.0, interval_s)
        self.retries = max(0, retries)
        self._sleep = sleep
        self._last_request: float | None = None
        # One connection, kept alive: arXiv's terms, and cheaper for paging.
        self._client = httpx.Client(
            timeout=timeout_s,
            headers={"User-Agent": user_agent},
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=True,
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> PoliteClient:
        settings = settings or get_settings()
        return cls(
            interval_s=settings.request_interval_s,
            retries=settings.http_retries,
            timeout_s=settings.http_timeout_s,
            user_agent=settings.user_agent,
        )

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """GET with pacing and retries; a response still failing raises :class:`SourceUnavailable`."""
        for attempt in range(self.retries + 1):
            self._wait_turn()
            try:
                response = self._client.get(url, params=params)
            except (httpx.TimeoutException, httpx.TransportError) as error:
                if attempt == self.retries:
                    message = f"{url}: no answer after {attempt + 1} tries ({error})"
                    raise SourceUnavailable(message) from error
                self._sleep(self._backoff(attempt))
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                self._sleep(max(self._backoff(attempt), _retry_after(response) or 0.0))
                continue
            if response.status_code >= 400:
                raise SourceUnavailable(
                    f"{response.request.url}: HTTP {response.status_code} after {attempt + 1} tries"
                )
            return response
        raise AssertionError("unreachable: the loop returns or raises")

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _wait_turn(self) -> None:
        """Sleep until ``interval_s`` has passed since the previous request started."""
        now = time.monotonic()
        if self._last_request is not None:
            remaining = self._last_request + self.interval_s - now
            if remaining > 0:
                self._sleep(remaining)
        self._last_request = time.monotonic()

    def _backoff(self, attempt: int) -> float:
        """Exponential: interval, 2×, 4×, … (at least 0.5 s so a zero test interval still backs off)."""
        return max(self.interval_s, 0.5) * (2**attempt)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from ``Retry-After`` (delta-seconds or an HTTP date), capped at ``MAX_RETRY_AFTER_S``."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            seconds = (when - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError, OverflowError):  # a 20-digit year overflows
            return None
    if math.isnan(seconds):  # "nan" is a float to Python, and time.sleep(nan) raises
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)

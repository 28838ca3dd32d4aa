"""Prometheus metrics: request counts and latency by route template, and the number of papers.

A registry per app (not the global one), so several apps in one process (tests) do not collide. Routes are
labelled by their template (``/papers/{arxiv_id:path}``), never by the raw URL, and methods outside HTTP's
own set as ``other``, so no client can grow the label sets.

``/metrics`` answers only clients in :attr:`Metrics.allow` (loopback by default; a 404 to anyone else), so
request counts and routes are not public. Behind a reverse proxy on the same host every request comes from
loopback: start ``serve`` with ``--forwarded-allow-ips`` for the proxy (then the real client is checked),
or keep ``/metrics`` out of the proxy. The paper count is recounted at most once a minute, so a scrape costs
no ``count(*)`` over the papers table.

Several workers (``serve --workers N``): ``serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` before they start, each
worker's counters live in files there, and a scrape of any worker adds up all of them (prometheus_client's
multiprocess mode), so the counters of a node never jump backwards between scrapes. Chosen over counting in
the database, which would add a write to every request; each node is scraped as its own target.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperfeed.store import Database
from paperfeed.store.papers import count_papers

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LOOPBACK = ("127.0.0.0/8", "::1/128")
PAPERS_EVERY_S = 60.0  # a paper count this old is recounted at the next scrape


class Metrics:
    def __init__(self, db: Database, *, allow: tuple[str, ...] = LOOPBACK) -> None:
        self.allow = allow  # networks whose clients may read /metrics
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "paperfeed_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "paperfeed_http_request_duration_seconds",
            "Time to serve a request",
            ["route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.papers = _Papers(lambda: _count(db))  # asked at scrape time, not kept in a per-worker file
        self.registry.register(self.papers)

    def exposition(self) -> bytes:
        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if not directory:
            return generate_latest(self.registry)
        registry = CollectorRegistry()  # every worker's counters, from their files
        multiprocess.MultiProcessCollector(registry, path=directory)
        registry.register(self.papers)
        return generate_latest(registry)

    def allows(self, client: tuple[str, int] | list | None) -> bool:
        try:
            address = ipaddress.ip_address(client[0]) if client else None
        except ValueError:  # not an address (a test client's name, a Unix socket)
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return address is not None and any(address in ipaddress.ip_network(n) for n in self.allow)


class _Papers(Collector):
    def __init__(self, count: Callable[[], float], clock: Callable[[], float] = time.monotonic) -> None:
        self.count, self.clock = count, clock
        self.value: float | None = None
        self.counted_at = 0.0

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if self.value is None or self.clock() - self.counted_at >= PAPERS_EVERY_S:
            self.value, self.counted_at = self.count(), self.clock()
        yield GaugeMetricFamily("paperfeed_papers", "Papers stored", value=self.value)


def _count(db: Database) -> float:
    with db.sessions() as session:
        return float(count_papers(session))


class MetricsMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware), so streaming responses and background tasks are untouched."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/metrics" and not self.metrics.allows(scope.get("client")):
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        started = self.clock()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or (
                "/static" if scope["path"].startswith("/static/") else "unmatched"
            )
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "other"
            self.metrics.requests.labels(method, route, str(status["code"])).inc()
            self.metrics.latency.labels(route).observe(self.clock() - started)

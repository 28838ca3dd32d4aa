"""A real HTTP server on 127.0.0.1 that replays recorded responses and records the requests it got.

Tests script, per path and query, a sequence of (status, headers, body) replies; the last reply of a
sequence repeats. A reply may be *held* until the test releases it (or the client goes away), which is how
a harvest is caught mid-page and killed. Every request is recorded with its arrival time and the client's
port, so tests can check pacing and that one connection was reused.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from tests.support import FIXTURES

XML = {"Content-Type": "application/xml; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
JSON = {"Content-Type": "application/json; charset=utf-8"}


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # answer only once the test sets this event


@dataclass(frozen=True)
class Seen:
    at: float  # time.monotonic() on arrival
    path: str
    query: dict[str, str]
    client_port: int


def fixture(relative: str, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    """A reply whose body is a recorded file under ``tests/fixtures``."""
    return Reply(status, (FIXTURES / relative).read_bytes(), dict(headers or XML))


class ReplayServer:
    def __init__(self) -> None:
        self._routes: list[tuple[str, dict[str, str], deque[Reply]]] = []
        self._lock = threading.Lock()
        self.requests: list[Seen] = []
        self._holds: list[threading.Event] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def script(self, path: str, *replies: Reply, **query: str) -> None:
        """Answer GETs of ``path`` whose query includes ``query`` with ``replies`` in turn (last repeats).

        The most specific script (most matching query parameters) wins, so a generic first-page script and
        a script for one resumption token can coexist; among equals the latest script replaces the others.
        """
        with self._lock:
            self._routes.append((path, dict(query), deque(replies)))
            self._holds.extend(r.hold for r in replies if r.hold is not None)

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for_requests(self, count: int, timeout: float = 60.0) -> None:
        """Block until ``count`` requests have arrived (used to catch a subprocess at a known point)."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {len(self.requests)} of {count} requests arrived: {self.requests}")
            time.sleep(0.02)

    def _answer(self, path: str, query: dict[str, str], port: int) -> Reply:
        with self._lock:
            self.requests.append(Seen(time.monotonic(), path, query, port))
            candidates = [
                (len(want), order, replies)
                for order, (p, want, replies) in enumerate(self._routes)
                if p == path and all(query.get(k) == v for k, v in want.items())
            ]
            if not candidates:
                return Reply(404, f"no script for {path}?{query}".encode(), {"Content-Type": "text/plain"})
            *_, replies = max(candidates, key=lambda c: c[:2])  # most specific, then the latest script
            return replies.popleft() if len(replies) > 1 else replies[0]

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        for hold in self._holds:
            hold.set()
        self._server.shutdown()
        self._server.server_close()


def _handler_for(replay: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so a polite client can reuse one connection

        def do_GET(self) -> None:  # noqa: N802 - the http.server naming
            parts = urlsplit(self.path)
            reply = replay._answer(parts.path, dict(parse_qsl(parts.query)), self.client_address[1])
            if reply.hold is not None:
                reply.hold.wait(timeout=120)
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client was killed while we held its answer

        def log_message(self, *_args: object) -> None:
            pass

    return Handler


def serve_replay(monkeypatch) -> Iterator[ReplayServer]:  # type: ignore[no-untyped-def]
    """Fixture body (``replay = pytest.fixture(serve_replay)``): a server the settings point at.

    The arXiv API answers under ``/api/query`` and OAI-PMH under ``/oai``; the request interval is 0 so
    tests that do not test pacing do not wait (those that do pass their own client).
    """
    from paperfeed.config import get_settings

    with ReplayServer() as server:
        monkeypatch.setenv("PAPERFEED_ARXIV_API_URL", server.url("/api/query"))
        monkeypatch.setenv("PAPERFEED_OAI_URL", server.url("/oai"))
        monkeypatch.setenv("PAPERFEED_REQUEST_INTERVAL_S", "0")
        get_settings.cache_clear()
        try:
            yield server
        finally:
            monkeypatch.undo()
            get_settings.cache_clear()

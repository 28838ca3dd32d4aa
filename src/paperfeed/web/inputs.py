"""What a request may bring: a bounded body, and text that every backend and every feed can hold.

Two guards, both applied to the whole app, so a new route or form field is covered without thinking of it:

- :class:`RequestBodyLimit` refuses a body whose declared size is over the limit before reading a byte, and
  cuts off one that grows past it while being read (chunked uploads declare nothing).
- :func:`refuse_unstorable_text` (an app-wide dependency) answers 400, naming the parameter, when a path
  segment, query parameter, form field or JSON string holds a character that PostgreSQL cannot store (NUL),
  that UTF-8 cannot encode (a lone surrogate from a JSON ``\\ud800`` escape) or that XML 1.0 forbids (other
  C0 controls, U+FFFE/U+FFFF: a search feed repeats its query), or is longer than any field needs.
  SQLite stores all of these, so without the guard the two backends answered the same input differently.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator, Mapping

from fastapi import HTTPException, Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY_BYTES = 1024 * 1024  # the largest form, a 10,000-character comment, is 30 kB even fully escaped
# Longer than every field's own limit (a comment's is 10,000), so a field's own message comes first.
MAX_TEXT_CHARS = 20_000
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def text_problem(name: str, value: str) -> str | None:
    """What is wrong with ``value`` (the input called ``name``) in a sentence, or None when it is fine."""
    if len(value) > MAX_TEXT_CHARS:
        return f"'{name}' is {len(value):,} characters long; the limit is {MAX_TEXT_CHARS:,}."
    found = _UNSTORABLE.search(value)
    if found:
        return (
            f"'{name}' contains the control character U+{ord(found[0]):04X}, which cannot be stored; "
            "remove it and retry."
        )
    return None


async def refuse_unstorable_text(request: Request) -> None:
    """400 when any text of the request fails :func:`text_problem` (see the module's docstring)."""
    named: list[tuple[str, str]] = [*request.path_params.items(), *request.query_params.multi_items()]
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith(_FORM_TYPES):
        form = await request.form()  # parsed once: the route's own Form fields reuse it
        named += [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    elif "json" in content_type:
        # Not JSON, or nested past the recursion limit: the route's own parsing answers that.
        with contextlib.suppress(ValueError, RecursionError):
            named += list(_json_strings("body", json.loads(await request.body() or b"null")))
    for key, value in named:
        problem = text_problem("a parameter name", key) or text_problem(_printable(key), value)
        if problem:
            raise HTTPException(400, problem)


def _printable(name: str) -> str:
    return name if not _UNSTORABLE.search(name) else "a parameter"


def _json_strings(where: str, value: object) -> Iterator[tuple[str, str]]:
    """Every string in a JSON document (keys too), with where it is (``body.paper``)."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_strings(f"{where}[{index}]", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield where, key
            yield from _json_strings(f"{where}.{key}", item)


class RequestBodyLimit:
    """Pure ASGI: 413 for a body over ``default`` bytes (or the larger limit of a path in ``larger``)."""

    def __init__(self, app: ASGIApp, default: int = MAX_BODY_BYTES, larger: Mapping[str, int] | None = None):
        self.app = app
        self.default = default
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.default)
        message = f"The request body is larger than {limit // (1024 * 1024)} MB, the limit here; send less."
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            response_class = JSONResponse if scope["path"].startswith("/api/") else PlainTextResponse
            body = {"detail": message} if response_class is JSONResponse else message
            await response_class(body, status_code=413, headers={"Connection": "close"})(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message_in = await receive()
            if message_in["type"] == "http.request":
                received += len(message_in.get("body", b""))
                if received > limit:
                    raise HTTPException(413, message)
            return message_in

        await self.app(scope, counting_receive, send)

"""Reading local dump files: plain or gzip, line by line, with progress measured in bytes on disk."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from paperfeed.ingest.records import MalformedSource, RecordError

GZIP_MAGIC = b"\x1f\x8b"


def file_size(path: Path) -> int:
    return path.stat().st_size


def iter_lines(path: Path, on_bytes: Callable[[int], None] | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` of a plain or gzip file; ``on_bytes`` gets the on-disk position.

    A truncated or corrupt archive or bytes that are not UTF-8 raise :class:`MalformedSource` naming the
    file and line, never a bare ``EOFError``.
    """
    if not path.is_file():
        raise MalformedSource(f"{path}: no such file")
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        stream: io.BufferedIOBase = gzip.GzipFile(fileobj=raw) if compressed else raw  # type: ignore[assignment]
        text = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")
        number = 0
        try:
            for number, line in enumerate(text, start=1):  # noqa: B007 - used in the error message
                if on_bytes is not None and number % 256 == 0:
                    on_bytes(raw.tell())
                yield number, line
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise MalformedSource(
                f"{path}: the gzip archive is truncated or corrupt after line {number} ({error})"
            ) from error
        except UnicodeDecodeError as error:
            raise MalformedSource(f"{path}: line {number + 1} is not UTF-8 text ({error.reason})") from error
        if on_bytes is not None:
            on_bytes(raw.tell())


def iter_json_lines(
    path: Path, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    """Yield each non-blank line parsed as a JSON object, or a :class:`RecordError` saying why not.

    If the very first record is not a JSON object the file is not JSON lines at all (an HTML error page,
    a JSON array, a binary): that raises :class:`MalformedSource` before anything is stored.
    """
    seen_valid = False
    for number, line in iter_lines(path, on_bytes):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
            if not isinstance(value, dict):
                raise RecordError(f"expected a JSON object, found {type(value).__name__}")
        except (json.JSONDecodeError, RecordError) as error:
            if not seen_valid:
                raise MalformedSource(
                    f"{path}: not a JSON-lines file (line {number}: {error}); expected one JSON object a line"
                ) from error
            yield number, RecordError(f"not a JSON object ({error})")
            continue
        seen_valid = True
        yield number, value

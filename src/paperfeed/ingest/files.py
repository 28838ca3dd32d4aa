"""Reading local dump files: plain or gzip, line by line, with progress measured in bytes on disk."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from paperfeed.ingest.records import MalformedSource, RecordError

GZIP_MAGIC = b"\x1f\x8b"
# One line is one record; the caps of ingest.records keep a real one under ~3 MB (10,000 authors of 300
# characters), so a longer line is refused unread rather than held in memory.
MAX_LINE_BYTES = 16 * 1024 * 1024


def file_size(path: Path) -> int:
    return path.stat().st_size


def iter_lines(
    path: Path, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, str | RecordError]]:
    """Yield ``(line_number, text)`` of a plain or gzip file; ``on_bytes`` gets the on-disk position.

    Each line is decoded on its own, so a line that is not UTF-8, or longer than ``MAX_LINE_BYTES``, comes
    out as a :class:`RecordError` under its own number and the lines after it are still read (decoding the
    stream as a whole would fail at a buffer boundary and name the wrong line). A byte-order mark before the
    first line is skipped. A truncated or corrupt archive raises :class:`MalformedSource` naming the file
    and the last good line, never a bare ``EOFError``.
    """
    if not path.is_file():
        raise MalformedSource(f"{path}: no such file")
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        stream: BinaryIO = gzip.GzipFile(fileobj=raw) if compressed else raw  # type: ignore[assignment]
        number = 0
        try:
            while line := stream.readline(MAX_LINE_BYTES + 1):
                number += 1
                if on_bytes is not None and number % 256 == 0:
                    on_bytes(raw.tell())
                yield number, _decoded(line, stream, first=number == 1)
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise MalformedSource(
                f"{path}: the gzip archive is truncated or corrupt after line {number} ({error})"
            ) from error
        if on_bytes is not None:
            on_bytes(raw.tell())


def _decoded(line: bytes, stream: BinaryIO, *, first: bool) -> str | RecordError:
    if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
        while (rest := stream.readline(1 << 20)) and not rest.endswith(b"\n"):
            pass  # skip the rest of the line without holding it
        return RecordError(f"the line is longer than {MAX_LINE_BYTES:,} bytes; no record is that long")
    try:
        return line.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as error:
        return RecordError(f"not UTF-8 text ({error.reason} at byte {error.start + 1} of the line)")


def iter_json_lines(
    path: Path, on_bytes: Callable[[int], None] | None = None
) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    """Yield each non-blank line parsed as a JSON object, or a :class:`RecordError` saying why not.

    If the very first record is not a JSON object the file is not JSON lines at all (an HTML error page,
    a JSON array, a binary): that raises :class:`MalformedSource` before anything is stored. So does a file
    with no line at all: importing nothing from it is surely not what was meant.
    """
    seen_valid = seen_any = False
    for number, line in iter_lines(path, on_bytes):
        if isinstance(line, str) and not line.strip():
            continue
        seen_any = True
        try:
            if isinstance(line, RecordError):
                raise line
            value = _json(line)
        except RecordError as error:
            if not seen_valid:
                raise MalformedSource(
                    f"{path}: not a JSON-lines file (line {number}: {error}); expected one JSON object a line"
                ) from error
            yield number, error
            continue
        seen_valid = True
        yield number, value
    if not seen_any:
        raise MalformedSource(f"{path}: the file is empty; expected one JSON object a line")


def _json(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except RecursionError as error:
        raise RecordError("not a JSON object (nested too deeply)") from error
    except ValueError as error:  # JSONDecodeError, and integers of more than 4,300 digits
        raise RecordError(f"not a JSON object ({error})") from error
    if not isinstance(value, dict):
        raise RecordError(f"not a JSON object (expected a JSON object, found {type(value).__name__})")
    return value

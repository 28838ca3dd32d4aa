"""Importing Hugging Face Daily Papers from a saved file or from the live ``/api/daily_papers`` URL.

A daily-papers answer is one JSON list (a day's or a dump's worth), so it is read whole; it is small
next to an arXiv snapshot. Like every local import, one file is one transaction: a malformed answer
stores nothing, a malformed item is rejected and the rest goes in.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from paperfeed.ingest.files import GZIP_MAGIC
from paperfeed.ingest.hf_daily import parse_daily_papers, read_daily_papers
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.pipeline import IngestSummary
from paperfeed.ingest.records import MalformedSource
from paperfeed.services.files import import_records
from paperfeed.store import Database

# A year of daily pages is ~50 MB of JSON; an answer larger than this is not one, and it is read whole.
MAX_ANSWER_BYTES = 256 * 1024 * 1024


def import_hf_daily(db: Database, source: str, *, client: PoliteClient | None = None) -> IngestSummary:
    """Import ``source`` (a path, optionally gzip, or an http(s) URL fetched with the polite client)."""
    items = parse_daily_papers(_load(source, client), source=source)
    return import_records(db, read_daily_papers(items))


def _load(source: str, client: PoliteClient | None) -> bytes:
    if source.startswith(("http://", "https://")):
        if client is not None:
            return _within_bound(client.get(source).content, source)
        with PoliteClient.from_settings() as own:
            return _within_bound(own.get(source).content, source)
    path = Path(source)
    if not path.is_file():
        raise MalformedSource(f"{source}: no such file")
    if path.stat().st_size > MAX_ANSWER_BYTES:
        raise _too_large(source)
    body = path.read_bytes()
    return _gunzip(body, source) if body[:2] == GZIP_MAGIC else body


def _within_bound(body: bytes, source: str) -> bytes:
    if len(body) > MAX_ANSWER_BYTES:
        raise _too_large(source)
    return body


def _too_large(source: str) -> MalformedSource:
    return MalformedSource(
        f"{source}: more than {MAX_ANSWER_BYTES // 2**20} MB; a daily-papers answer "
        "is far smaller (split the dump)"
    )


def _gunzip(body: bytes, source: str) -> bytes:
    """``body`` decompressed, member after member, never to more than MAX_ANSWER_BYTES (a gzip bomb)."""
    out = bytearray()
    rest = body
    try:
        while rest:
            inflater = zlib.decompressobj(wbits=31)
            out += inflater.decompress(rest, MAX_ANSWER_BYTES + 1 - len(out))
            if len(out) > MAX_ANSWER_BYTES or inflater.unconsumed_tail:
                raise _too_large(f"{source} (decompressed)")
            if not inflater.eof:
                raise EOFError("the archive ends in the middle of the data")
            rest = inflater.unused_data.lstrip(b"\x00")  # gzip allows zero padding after a member
    except (EOFError, zlib.error) as error:
        raise MalformedSource(f"{source}: the gzip archive is truncated or corrupt ({error})") from error
    return bytes(out)

"""Importing Hugging Face Daily Papers from a saved file or from the live ``/api/daily_papers`` URL.

A daily-papers answer is one JSON list (a day's or a dump's worth), so it is read whole; it is small
next to an arXiv snapshot. Like every local import, one file is one transaction: a malformed answer
stores nothing, a malformed item is rejected and the rest goes in.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from paperfeed.ingest.files import GZIP_MAGIC
from paperfeed.ingest.hf_daily import parse_daily_papers, read_daily_papers
from paperfeed.ingest.http import PoliteClient
from paperfeed.ingest.pipeline import IngestSummary
from paperfeed.ingest.records import MalformedSource
from paperfeed.services.files import import_records
from paperfeed.store import Database


def import_hf_daily(db: Database, source: str, *, client: PoliteClient | None = None) -> IngestSummary:
    """Import ``source`` (a path, optionally gzip, or an http(s) URL fetched with the polite client)."""
    items = parse_daily_papers(_load(source, client), source=source)
    return import_records(db, read_daily_papers(items))


def _load(source: str, client: PoliteClient | None) -> bytes:
    if source.startswith(("http://", "https://")):
        if client is not None:
            return client.get(source).content
        with PoliteClient.from_settings() as own:
            return own.get(source).content
    path = Path(source)
    if not path.is_file():
        raise MalformedSource(f"{source}: no such file")
    body = path.read_bytes()
    if body[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(body)
        except (EOFError, OSError) as error:
            raise MalformedSource(f"{source}: the gzip archive is truncated or corrupt ({error})") from error
    return body

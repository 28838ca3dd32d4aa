"""Ingestion: sources parse into :class:`Record` items; :func:`run_ingest` stores them idempotently."""

from paperfeed.ingest.pipeline import IngestSummary, run_ingest
from paperfeed.ingest.records import MalformedSource, Record, Rejected

__all__ = ["IngestSummary", "MalformedSource", "Record", "Rejected", "run_ingest"]

"""Search internals: keyword (FTS5 / tsvector), vector (in-process ANN / pgvector) and their fusion.

The one public entry point is :mod:`paperfeed.services.search`; this package holds the parts it combines.
"""

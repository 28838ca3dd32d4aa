"""The bundled sample loads once, on both backends, and is real data."""

from __future__ import annotations

from paperfeed.services.sample import load_sample, sample_loaded
from paperfeed.services.stats import corpus_stats


def test_the_bundled_sample_loads_once_and_holds_real_recent_papers(db):
    first = load_sample(db)
    stats = corpus_stats(db)
    assert first is not None and first.rejected == 0
    assert stats["papers"] == first.new > 3000
    assert stats["last_day"] == "2026-07-01"
    assert sample_loaded(db)
    assert load_sample(db) is None


def test_the_sample_comes_with_vectors_so_semantic_search_works_at_once(sqlite_db):
    from paperfeed.search.indexing import pending_count
    from paperfeed.services.search import search_papers

    load_sample(sqlite_db)
    assert pending_count(sqlite_db) == 0
    hits = search_papers(sqlite_db, "robots learning to grasp objects", mode="semantic", limit=5).hits
    assert len(hits) == 5 and all(hit.paper.id for hit in hits)

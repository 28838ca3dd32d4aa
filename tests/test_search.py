"""Search on both backends, on ~200 real papers of the bundled sample with their real MiniLM vectors."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa

from paperfeed.embed import current_model_key
from paperfeed.embed.vector_file import read_vector_file
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.ingest.records import Record
from paperfeed.services.search import (
    SearchFilters,
    UnknownPaper,
    query_vector_of,
    search_papers,
    similar_papers,
)
from paperfeed.store import Database
from paperfeed.store.vectors import save_vectors
from tests.support.corpus import Corpus, fill

MODES = ("keyword", "semantic", "hybrid")


def ids(results) -> list[str]:  # type: ignore[no-untyped-def]
    hits = results.hits if hasattr(results, "hits") else results
    return [hit.paper.id for hit in hits]


@pytest.mark.parametrize("mode", MODES)
def test_an_exact_arxiv_id_comes_first(search_db: Database, corpus: Corpus, mode: str) -> None:
    target = corpus.records[57].paper
    for query in (target.id, f"{target.id}v3", f"https://arxiv.org/abs/{target.id}"):
        assert ids(search_papers(search_db, query, mode=mode))[0] == target.id


@pytest.mark.parametrize("mode", MODES)
def test_an_exact_title_comes_first(search_db: Database, corpus: Corpus, mode: str) -> None:
    target = corpus.records[101].paper
    assert ids(search_papers(search_db, target.title, mode=mode))[0] == target.id
    assert ids(search_papers(search_db, f"  {target.title.upper()} ", mode=mode))[0] == target.id


def test_keyword_search_ranks_a_title_word_match_above_an_abstract_mention(search_db: Database) -> None:
    hits = search_papers(search_db, "diffusion", mode="keyword", limit=50).hits
    assert len(hits) >= 3
    in_title = [i for i, h in enumerate(hits) if "diffusion" in h.paper.title.lower()]
    only_abstract = [i for i, h in enumerate(hits) if "diffusion" not in h.paper.title.lower()]
    assert in_title and only_abstract
    assert min(in_title) < min(only_abstract)
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


def test_keyword_search_matches_an_author(search_db: Database, corpus: Corpus) -> None:
    target = corpus.records[33].paper
    surname = target.authors[0].split()[-1]
    assert target.id in ids(search_papers(search_db, surname, mode="keyword", limit=50))


def test_keyword_search_stems_words(search_db: Database, corpus: Corpus) -> None:
    with_plural = ids(search_papers(search_db, "networks", mode="keyword", limit=100))
    with_singular = ids(search_papers(search_db, "network", mode="keyword", limit=100))
    assert with_plural and set(with_plural) == set(with_singular)


@pytest.mark.parametrize("index", [12, 88, 150])
def test_semantic_search_finds_a_paper_from_a_paraphrase_of_its_abstract(
    search_db: Database, corpus: Corpus, index: int
) -> None:
    paper = corpus.records[index].paper
    first_sentence = paper.abstract.split(". ")[0]
    results = search_papers(search_db, first_sentence, mode="semantic", limit=5)
    assert results.mode == "semantic"
    assert paper.id in ids(results)
    assert all(-1.0 <= hit.score <= 1.0 for hit in results.hits)


def test_hybrid_search_uses_both_kinds_of_evidence(search_db: Database, corpus: Corpus) -> None:
    paper = corpus.records[140].paper
    query = paper.abstract.split(". ")[0]
    results = search_papers(search_db, query, mode="hybrid", limit=10)
    assert results.mode == "hybrid"
    assert ids(results)[0] == paper.id
    assert all(a.score >= b.score for a, b in zip(results.hits, results.hits[1:], strict=False))


@pytest.mark.parametrize("mode", MODES)
def test_filters_by_date_category_and_author(search_db: Database, corpus: Corpus, mode: str) -> None:
    days = sorted({r.paper.published for r in corpus.records if r.paper.published})
    middle = days[len(days) // 2]
    by_date = search_papers(
        search_db, "learning", mode=mode, limit=50, filters=SearchFilters(date_from=middle, date_to=days[-1])
    )
    assert by_date.hits and all(middle <= h.paper.published <= days[-1] for h in by_date.hits)

    by_category = search_papers(
        search_db, "learning", mode=mode, limit=50, filters=SearchFilters(categories=("cs.CV", "cs.RO"))
    )
    assert by_category.hits
    assert all({"cs.CV", "cs.RO"} & set(h.paper.categories) for h in by_category.hits)

    author = corpus.records[20].paper.authors[0]
    part = author.split()[-1].lower()
    by_author = search_papers(search_db, "model", mode=mode, limit=50, filters=SearchFilters(author=part))
    assert by_author.hits
    assert all(any(part in a.lower() for a in h.paper.authors) for h in by_author.hits)

    nothing = search_papers(search_db, "learning", mode=mode, filters=SearchFilters(date_to=date(1990, 1, 1)))
    assert nothing.hits == []


@pytest.mark.parametrize("mode", MODES)
def test_pages_follow_each_other(search_db: Database, mode: str) -> None:
    everything = ids(search_papers(search_db, "language models reasoning", mode=mode, limit=30))
    assert len(everything) == 30
    pages = [
        ids(search_papers(search_db, "language models reasoning", mode=mode, limit=10, offset=o))
        for o in (0, 10, 20)
    ]
    assert pages[0] + pages[1] + pages[2] == everything


def test_similar_papers_are_near_neighbours_and_exclude_the_paper(
    search_db: Database, corpus: Corpus
) -> None:
    paper = corpus.records[77].paper
    hits = similar_papers(search_db, paper.id, limit=8)
    assert len(hits) == 8
    assert paper.id not in ids(hits)
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
    bundled = read_vector_file(corpus.vectors_path)
    matrix = bundled.vectors
    scores = matrix @ matrix[bundled.ids.index(paper.id)]
    expected = [bundled.ids[i] for i in np.argsort(-scores) if bundled.ids[i] != paper.id][:8]
    assert len(set(ids(hits)) & set(expected)) >= 7  # the ANN index may swap a near tie


def test_similar_papers_of_an_unknown_paper_is_a_clear_error(search_db: Database) -> None:
    with pytest.raises(UnknownPaper, match="2001.99999"):
        similar_papers(search_db, "2001.99999")


def test_without_vectors_semantic_search_answers_by_keyword(db: Database, corpus: Corpus) -> None:
    fill(db, corpus, vectors=False)
    results = search_papers(db, "graph neural networks", mode="semantic")
    assert results.mode == "keyword" and results.hits
    paper = corpus.records[5].paper
    hits = similar_papers(db, paper.id, limit=5)
    assert hits and paper.id not in ids(hits)
    stems = {w[:5] for w in re.findall(r"[a-z]{4,}", paper.title.lower())}  # the fallback stems words
    for hit in hits:
        text = f"{hit.paper.title} {hit.paper.abstract}".lower()
        assert any(stem in text for stem in stems), hit.paper.title


def test_vectors_of_another_model_are_never_mixed_in(db: Database, corpus: Corpus) -> None:
    fill(db, corpus)
    decoy = corpus.records[3].paper
    query = "self-driving cars detecting pedestrians at night"
    with db.session() as session:
        session.execute(sa.text("DELETE FROM paper_vectors WHERE paper_id = :p"), {"p": decoy.id})
    from paperfeed.embed import get_encoder

    query_vector = get_encoder().encode([query])
    with db.session() as session:  # the decoy's only vector is the query itself, under another model
        save_vectors(session, "another-model@9", [(decoy.id, "x")], query_vector)
    assert decoy.id not in ids(search_papers(db, query, mode="semantic", limit=200))
    neighbour = ids(search_papers(db, query, mode="semantic", limit=1))[0]
    assert decoy.id not in ids(similar_papers(db, neighbour, limit=50))
    with db.session() as session:
        models = {r[0] for r in session.execute(sa.text("SELECT DISTINCT model FROM paper_vectors"))}
    assert models == {current_model_key(), "another-model@9"}


def test_keyword_index_follows_updated_papers(db: Database, corpus: Corpus) -> None:
    fill(db, corpus, vectors=False)
    paper = corpus.records[9].paper
    renamed = replace(paper, version=paper.version + 1, title="Zyxwvut Quokka Telemetry")
    with db.session() as session:
        run_ingest(session, [Record(renamed)])
    assert ids(search_papers(db, "quokka telemetry", mode="keyword"))[0] == paper.id
    old_word = max(paper.title.split(), key=len).strip(":,.()").lower()
    still = [h for h in search_papers(db, old_word, mode="keyword", limit=200).hits if h.paper.id == paper.id]
    assert all(old_word in h.paper.abstract.lower() for h in still)


def test_on_a_large_corpus_the_database_engine_drops_very_common_words(
    db: Database, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The FTS5 / tsvector engine (which answers while the on-disk index catches up) scores every match of
    a word, so on a large corpus it leaves out words most papers contain; the pruned index needs no guard."""
    from paperfeed.search import keyword, keyword_db

    monkeypatch.setattr(keyword, "ENGINE", "database")
    sqlite_db = fill(db, corpus, vectors=False)
    if not db.is_sqlite:
        with db.engine.begin() as connection:  # PostgreSQL sizes the corpus from the planner's statistics
            connection.execute(sa.text("ANALYZE papers"))
    target = corpus.records[64].paper
    texts = [f"{r.paper.title} {r.paper.abstract}".lower() for r in corpus.records]
    rare = min(re.findall(r"[A-Za-z]{6,}", target.title), key=lambda w: sum(w.lower() in t for t in texts))
    query = f"learning {rare}"
    everything = ids(search_papers(sqlite_db, query, mode="keyword", limit=200))
    monkeypatch.setattr(keyword_db, "LARGE_CORPUS", 100)  # the ~200 papers count as "large"
    monkeypatch.setattr(keyword_db, "COMMON_SHARE", 0.2)
    guarded = search_papers(sqlite_db, query, mode="keyword", limit=200).hits
    assert guarded and guarded[0].paper.id == target.id
    assert len(guarded) < len(everything)  # papers matching only "learning" are no longer scored
    assert all(rare.lower()[:5] in f"{h.paper.title} {h.paper.abstract}".lower() for h in guarded)
    assert search_papers(sqlite_db, "learning models", mode="keyword").hits  # all common: kept as typed


def test_a_repeated_query_is_embedded_once_and_pages_agree(search_db: Database) -> None:
    query = "contrastive pretraining of vision transformers for retrieval"
    first = search_papers(search_db, query, mode="hybrid", limit=10)
    runs = query_vector_of.cache_info().misses
    second_page = search_papers(search_db, query, mode="hybrid", limit=10, offset=10)
    again = search_papers(search_db, query, mode="hybrid", limit=10)
    assert query_vector_of.cache_info().misses == runs  # the next page and the same query: no model run
    assert ids(again) == ids(first) and not set(ids(first)) & set(ids(second_page))
    vector = query_vector_of(current_model_key(), query)
    assert not vector.flags.writeable  # shared between requests: nobody may change it

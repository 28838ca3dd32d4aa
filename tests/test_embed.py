"""The encoder, the background embedding job, precomputed vector files, and the search CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from paperfeed.cli.app import app
from paperfeed.config import get_settings
from paperfeed.embed import Encoder, current_model_key, document_text, get_encoder
from paperfeed.embed.vector_file import read_vector_file, write_vector_file
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.ingest.records import Record
from paperfeed.services.search import embed_pending, load_precomputed_vectors, pending_count
from paperfeed.store import Database
from tests.support.corpus import DATA, Corpus, fill


def test_the_encoder_is_shared_and_gives_unit_vectors() -> None:
    encoder = get_encoder()
    assert isinstance(encoder, Encoder) and get_encoder() is encoder
    vectors = encoder.encode(["sparse attention for long documents", "", "√2 ≈ 1.414 — ünïcödé"])
    assert vectors.shape == (3, encoder.dim) == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cat, kitten, physics = encoder.encode(
        ["a cat sits on the mat", "a kitten lies on a rug", "lattice QCD at finite density"]
    )
    assert float(cat @ kitten) > 0.4 > 0.2 > float(cat @ physics)


def test_the_bundled_sample_vectors_are_this_encoders(corpus: Corpus) -> None:
    bundled = read_vector_file(DATA / "sample-vectors.npz")
    assert bundled.model == current_model_key()
    papers = [r.paper for r in corpus.records[:4]]
    fresh = get_encoder().encode_documents([document_text(p.title, p.abstract) for p in papers])
    stored = bundled.vectors[[bundled.ids.index(p.id) for p in papers]]
    assert np.all((fresh * stored).sum(axis=1) > 0.999)


def test_a_long_document_is_embedded_whole_not_cut_at_256_tokens() -> None:
    encoder = get_encoder()
    head = "We study graph neural networks for molecular property prediction. " * 40  # > 256 tokens
    tail = "The second half is entirely about medieval poetry and troubadour songs in Occitan. " * 20
    cut, whole = encoder.encode([head + tail])[0], encoder.encode_documents([head + tail])[0]
    poetry = encoder.encode(["medieval troubadour poetry"])[0]
    assert float(whole @ poetry) > float(cut @ poetry) + 0.05


def test_embedding_is_incremental_resumable_and_follows_changes(db: Database, corpus: Corpus) -> None:
    papers = corpus.records[:24]
    fill(db, Corpus(papers, corpus.vectors_path), vectors=False)
    assert pending_count(db) == 24
    seen: list[tuple[int, int]] = []
    assert embed_pending(db, limit=10, on_progress=lambda done, total: seen.append((done, total))) == 10
    assert seen[-1] == (10, 10) and pending_count(db) == 14  # committed: a new run continues from here
    assert embed_pending(db) == 14 and pending_count(db) == 0
    assert embed_pending(db) == 0
    changed = replace(papers[0].paper, version=9, abstract="A completely rewritten abstract.")
    with db.session() as session:
        run_ingest(session, [Record(changed)])
    assert pending_count(db) == 1 and embed_pending(db) == 1


def test_precomputed_vectors_of_another_model_are_ignored(
    sqlite_db: Database, corpus: Corpus, tmp_path: Path
) -> None:
    fill(sqlite_db, corpus, vectors=False)
    bundled = read_vector_file(corpus.vectors_path)
    other = tmp_path / "other.npz"
    write_vector_file(other, bundled.ids, bundled.vectors, "some-other-model@2")
    assert load_precomputed_vectors(sqlite_db, other) == 0
    assert load_precomputed_vectors(sqlite_db, corpus.vectors_path) == len(corpus.records)
    assert load_precomputed_vectors(sqlite_db, corpus.vectors_path) == 0  # idempotent
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a numpy file")
    with pytest.raises(ValueError, match="broken.npz"):
        load_precomputed_vectors(sqlite_db, broken)


def test_the_cli_searches_finds_similar_papers_and_reindexes(
    sqlite_db: Database, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = Corpus(corpus.records[:30], corpus.vectors_path)
    fill(sqlite_db, small, vectors=False)
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", sqlite_db.url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        reindexed = runner.invoke(app, ["reindex", "--limit", "5"])
        assert reindexed.exit_code == 0, reindexed.output
        assert pending_count(sqlite_db) == 25
        target = small.records[7].paper
        found = runner.invoke(app, ["search", target.title, "--mode", "hybrid", "--limit", "3", "--json"])
        assert found.exit_code == 0, found.output
        rows = json.loads(found.stdout)
        assert rows[0]["id"] == target.id and {"id", "title", "score"} <= set(rows[0])
        similar = runner.invoke(app, ["similar", small.records[0].paper.id, "--json"])
        assert similar.exit_code == 0, similar.output
        assert small.records[0].paper.id not in {r["id"] for r in json.loads(similar.stdout)}
        refused = runner.invoke(app, ["search", "((", "--json"])
        assert refused.exit_code == 1 and "no words" in refused.output
        unknown = runner.invoke(app, ["similar", "1234.56789"])
        assert unknown.exit_code == 1 and "1234.56789" in unknown.output
    finally:
        get_settings.cache_clear()

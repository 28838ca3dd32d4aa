"""`paperfeed reindex --engine ray`: embedding on a real local Ray cluster (2 CPUs), stored on both backends
exactly as the in-process embedder stores it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import ray
import sqlalchemy as sa
from typer.testing import CliRunner

from paperfeed.cli.app import app
from paperfeed.cli.serve import _embed_round
from paperfeed.config import get_settings
from paperfeed.embed import current_model_key, document_text, get_encoder
from paperfeed.ingest.pipeline import run_ingest
from paperfeed.ingest.records import Record
from paperfeed.services.batch_embed import EMBED_LEASE, EmbedderBusy, embed_pending_on_ray
from paperfeed.services.search import drop_vectors, embed_pending, pending_count
from paperfeed.store import Database
from paperfeed.store.leases import acquire, current_holder, release
from paperfeed.store.vectors import vectors_for
from tests.support.corpus import Corpus, fill


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """One local cluster for the module (it takes seconds to start); every run adds and removes actors."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def _papers(db: Database, corpus: Corpus, count: int) -> list[str]:
    fill(db, Corpus(corpus.records[:count], corpus.vectors_path), vectors=False)
    return [r.paper.id for r in corpus.records[:count]]


def _stored(db: Database, ids: list[str]) -> dict[str, np.ndarray]:
    with db.session() as session:
        return vectors_for(session, current_model_key(), ids)


def _rows(db: Database) -> tuple[int, int, set[str]]:
    """(vector rows, highest row id, models): a paper embedded twice leaves a higher id than rows."""
    with db.session() as session:
        count, top = session.execute(sa.text("SELECT count(*), max(id) FROM paper_vectors")).one()
        models = {m for (m,) in session.execute(sa.text("SELECT DISTINCT model FROM paper_vectors"))}
    return int(count), int(top or 0), models


def test_ray_vectors_equal_the_local_engines_under_the_same_model_key(
    db: Database, corpus: Corpus, ray_cluster: None
) -> None:
    ids = _papers(db, corpus, 16)
    report = embed_pending_on_ray(db, batch_size=3)  # 6 batches: more than the 2 actors x 2 under way
    assert report.embedded == 16 and report.actors == 2 and report.device == "CPU"
    assert "CPUExecutionProvider" in report.providers and len(report.actor_load_seconds) == 2
    assert pending_count(db) == 0
    assert _rows(db)[0] == 16 and _rows(db)[2] == {current_model_key()}
    on_ray = _stored(db, ids)
    drop_vectors(db)
    assert embed_pending(db) == 16
    local = _stored(db, ids)
    assert set(on_ray) == set(local) == set(ids)
    for paper_id in ids:
        assert np.allclose(on_ray[paper_id], local[paper_id], atol=1e-5), paper_id


def test_a_stopped_ray_run_resumes_embeds_nothing_twice_and_follows_edits(
    db: Database, corpus: Corpus, ray_cluster: None
) -> None:
    _papers(db, corpus, 12)
    first = embed_pending_on_ray(db, limit=5, batch_size=2)
    assert first.embedded == 5 and pending_count(db) == 7  # committed: the next run continues from here

    def stop(_done: int, _total: int) -> None:
        raise KeyboardInterrupt  # Ctrl-C once the first batch is stored: the batches under way are lost

    with pytest.raises(KeyboardInterrupt):
        embed_pending_on_ray(db, batch_size=2, on_progress=stop)
    assert pending_count(db) == 5 and current_holder(db, EMBED_LEASE) is None
    assert embed_pending_on_ray(db, batch_size=2).embedded == 5 and pending_count(db) == 0
    assert _rows(db)[:2] == (12, 12)  # each paper stored once, none replaced
    idle = embed_pending_on_ray(db)
    assert idle.embedded == 0 and idle.actors == 0  # nothing pending: no actor was even started
    edited = replace(corpus.records[3].paper, version=9, abstract="A rewritten abstract about bird songs.")
    with db.session() as session:
        run_ingest(session, [Record(edited)])
    before = _stored(db, [edited.id])[edited.id]
    assert pending_count(db) == 1 and embed_pending_on_ray(db).embedded == 1
    after = _stored(db, [edited.id])[edited.id]
    expected = get_encoder().encode_documents([document_text(edited.title, edited.abstract)])[0]
    assert np.allclose(after, expected, atol=1e-5) and not np.allclose(after, before, atol=1e-2)
    assert _rows(db)[:2] == (12, 13)


def test_a_ray_run_holds_the_embedder_lease_of_the_background_embedder(
    db: Database, corpus: Corpus, ray_cluster: None
) -> None:
    _papers(db, corpus, 8)
    acquire(db, EMBED_LEASE, "node-b:42:1", timedelta(minutes=5))  # a server's background embedder
    with pytest.raises(EmbedderBusy, match="node-b:42:1"):
        embed_pending_on_ray(db)
    assert pending_count(db) == 8
    release(db, EMBED_LEASE, "node-b:42:1")

    seen: list[tuple[int, str]] = []

    def background_round() -> None:  # what `paperfeed serve` runs every minute, on another thread
        seen.append((_embed_round(db, on_progress=lambda _d, _t: None), current_holder(db, EMBED_LEASE)[0]))

    def while_running(_done: int, _total: int) -> None:
        thread = threading.Thread(target=background_round)
        thread.start()
        thread.join()

    assert embed_pending_on_ray(db, batch_size=3, on_progress=while_running).embedded == 8
    assert len(seen) == 3 and all(embedded == 0 for embedded, _ in seen)  # it stood aside every time
    assert all("reindex --engine ray" in holder for _, holder in seen)
    assert current_holder(db, EMBED_LEASE) is None  # released at the end
    assert _rows(db)[:2] == (8, 8)


def test_the_cli_runs_on_ray_and_refuses_bad_options(
    sqlite_db: Database, corpus: Corpus, ray_cluster: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    _papers(sqlite_db, corpus, 10)
    monkeypatch.setenv("PAPERFEED_DATABASE_URL", sqlite_db.url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        too_many = runner.invoke(app, ["reindex", "--engine", "ray", "--actors", "5"])
        assert too_many.exit_code == 1 and "1 to 2 actors, not 5" in too_many.output
        stray = runner.invoke(app, ["reindex", "--address", "auto"])
        assert stray.exit_code == 2 and "--engine ray" in stray.output
        assert pending_count(sqlite_db) == 10
        done = runner.invoke(app, ["reindex", "--engine", "ray", "--actors", "1", "--limit", "6"])
        assert done.exit_code == 0, done.output
        assert "Ray: 1 actors on CPU" in done.output and "embedded 6 papers; 4 still pending" in done.output
    finally:
        get_settings.cache_clear()


def test_without_ray_installed_the_cli_says_how_to_get_it(tmp_path: Path) -> None:
    script = (
        "import sys; sys.modules['ray'] = None\n"  # `import ray` now fails as if it were not installed
        "from paperfeed.cli.app import main\n"
        "sys.argv = ['paperfeed', 'reindex', '--engine', 'ray']\n"
        "main()\n"
    )
    env = {**os.environ, "PAPERFEED_HOME": str(tmp_path)}
    env.pop("PAPERFEED_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stderr
    assert "pip install 'paperfeed[ray]'" in result.stderr and "Traceback" not in result.stderr

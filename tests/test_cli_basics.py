"""The command line end to end, as a user runs it: a real process, a real SQLite file under PAPERFEED_HOME."""

from __future__ import annotations

import json
from pathlib import Path

from paperfeed.services.sample import sample_path
from tests.support.cli import run


def test_ingest_then_stats_json_counts_distinct_papers(tmp_path: Path):
    assert run(tmp_path, "ingest", "jsonl", str(sample_path())).returncode == 0
    again = run(tmp_path, "ingest", "jsonl", str(sample_path()))
    stats = json.loads(run(tmp_path, "stats", "--json").stdout)
    assert "0 new" in again.stderr and "0 updated" in again.stderr
    assert stats["papers"] == stats["feed_entries"] > 3000
    assert stats["sources"] == {"arxiv": stats["papers"]}
    assert sum(stats["months"].values()) == stats["feed_entries"]
    assert (tmp_path / "paperfeed.sqlite3").exists()


def test_a_missing_file_is_one_clear_line_not_a_traceback(tmp_path: Path):
    result = run(tmp_path, "ingest", "jsonl", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 1
    assert "no such file" in result.stderr and "Traceback" not in result.stderr


def test_export_writes_a_file_that_imports_back(tmp_path: Path):
    run(tmp_path / "a", "ingest", "jsonl", str(sample_path()))
    out = tmp_path / "backup.jsonl.gz"
    assert run(tmp_path / "a", "export", str(out)).returncode == 0
    restored = run(tmp_path / "b", "ingest", "jsonl", str(out))
    assert restored.returncode == 0, restored.stderr
    a = json.loads(run(tmp_path / "a", "stats", "--json").stdout)
    b = json.loads(run(tmp_path / "b", "stats", "--json").stdout)
    assert a == b


def test_demo_loads_the_sample_with_its_vectors_once(tmp_path: Path):
    first = run(tmp_path, "demo", "--load-only")
    second = run(tmp_path, "demo", "--load-only")
    stats = json.loads(run(tmp_path, "stats", "--json").stdout)
    searched = run(tmp_path, "search", "vision language models", "--mode", "semantic", "--json")
    found = json.loads(searched.stdout)
    assert first.returncode == 0 and "3467 new" in first.stderr
    assert "already loaded" in second.stderr
    assert stats["papers"] == 3467
    assert len(found) > 0 and {"id", "title", "score"} <= set(found[0])

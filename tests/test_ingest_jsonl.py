"""paperfeed JSON lines: import of the shared arXiv dump format, exact export round trip, bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.records import MalformedSource
from paperfeed.services.files import export_jsonl, import_records
from paperfeed.store import Database
from paperfeed.store.feed import entries_for_paper
from paperfeed.store.papers import count_papers, get_paper

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "paperfeed" / "data" / "sample-papers.jsonl.gz"


def first_lines(n: int) -> list[str]:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as handle:
        return [next(handle) for _ in range(n)]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line if line.endswith("\n") else line + "\n" for line in lines), encoding="utf-8")
    return path


def test_shared_format_imports_papers_with_their_listing_day(db: Database, tmp_path: Path):
    lines = first_lines(50)
    summary = import_records(db, read_jsonl(write_lines(tmp_path / "in.jsonl", lines)))
    original = json.loads(lines[0])
    with db.sessions() as s:
        paper = get_paper(s, original["id"])
        entries = entries_for_paper(s, original["id"])
    assert (summary.new, summary.rejected, summary.feed_new) == (50, 0, 50)
    assert paper.title == original["title"] and list(paper.authors) == original["authors"]
    assert paper.primary_category == original["categories"][0]
    assert [e.featured_on.isoformat() for e in entries] == [original["listed"]]


def test_importing_twice_changes_nothing(db: Database, tmp_path: Path):
    path = write_lines(tmp_path / "in.jsonl", first_lines(30))
    import_records(db, read_jsonl(path))
    again = import_records(db, read_jsonl(path))
    assert (again.new, again.updated, again.unchanged, again.feed_new) == (0, 0, 30, 0)


def test_export_then_import_into_an_empty_database_round_trips_exactly(db: Database, tmp_path: Path):
    import_records(db, read_jsonl(write_lines(tmp_path / "in.jsonl", first_lines(40))))
    first = tmp_path / "first.jsonl.gz"
    export_jsonl(db, first)
    restored = Database(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    restored.migrate()
    import_records(restored, read_jsonl(first))
    second = tmp_path / "second.jsonl.gz"
    export_jsonl(restored, second)
    exported = gzip.decompress(first.read_bytes())
    assert exported == gzip.decompress(second.read_bytes())
    assert len(exported.splitlines()) == 40


def test_a_malformed_record_is_rejected_by_line_and_field_and_the_rest_goes_in(db: Database, tmp_path: Path):
    good = first_lines(3)
    broken = json.loads(good[1])
    del broken["title"]
    bad_id = json.dumps({**json.loads(good[2]), "id": "x1"})
    lines = [good[0], json.dumps(broken), "{not json", good[2], bad_id]
    summary = import_records(db, read_jsonl(write_lines(tmp_path / "in.jsonl", lines)))
    reasons = [str(r) for r in summary.rejections]
    assert summary.new == 2 and summary.rejected == 3
    assert "line 2" in reasons[0] and "'title'" in reasons[0]
    assert "line 3" in reasons[1]
    assert "line 5" in reasons[2] and "not an arXiv id" in reasons[2]


@pytest.mark.parametrize("damage", ["truncated-gzip", "not-json-lines"])
def test_a_malformed_file_stops_with_a_clear_error_and_leaves_the_database_as_it_was(
    db: Database, tmp_path: Path, damage: str
):
    import_records(db, read_jsonl(write_lines(tmp_path / "before.jsonl", first_lines(5))))
    path = tmp_path / "bad.jsonl.gz"
    if damage == "truncated-gzip":
        blob = gzip.compress("".join(first_lines(400)).encode())
        path.write_bytes(blob[: len(blob) * 2 // 3])
        expected = "truncated or corrupt"
    elif damage == "not-json-lines":
        path = tmp_path / "bad.jsonl"
        path.write_text("<html><body>502 Bad Gateway</body></html>\n")
        expected = "not a JSON-lines file"
    with pytest.raises(MalformedSource, match=expected):
        import_records(db, read_jsonl(path))
    with db.sessions() as s:
        assert count_papers(s) == 5

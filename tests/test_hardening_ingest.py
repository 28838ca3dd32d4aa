"""Issue #11, the ingest half: hostile or broken input is cleaned or rejected per record, never stored raw,
and never aborts a whole file; on SQLite and PostgreSQL alike."""

from __future__ import annotations

import gzip
import io
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from lxml import etree
from rich.console import Console
from starlette.testclient import TestClient
from typer.testing import CliRunner

from paperfeed.cli import common
from paperfeed.cli.app import app
from paperfeed.config import get_settings
from paperfeed.embed import get_encoder
from paperfeed.embed.minilm import MAX_WINDOWS
from paperfeed.ingest import files
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.pipeline import IngestSummary, run_ingest
from paperfeed.ingest.records import (
    MAX_ABSTRACT_CHARS,
    MAX_AUTHORS,
    MAX_CATEGORIES,
    MAX_CLASSES_CHARS,
    MAX_COMMENTS_CHARS,
    MAX_DOI_CHARS,
    MAX_JOURNAL_REF_CHARS,
    MAX_TITLE_CHARS,
    MAX_URL_CHARS,
)
from paperfeed.ingest.snapshot import read_snapshot
from paperfeed.search import keyword_db
from paperfeed.search.filters import SearchFilters
from paperfeed.search.query import parse_query
from paperfeed.services import hf_daily as hf_service
from paperfeed.services.files import import_records
from paperfeed.services.hf_daily import import_hf_daily
from paperfeed.store import Database
from paperfeed.store.db import alembic_config
from paperfeed.store.feed import entries_for_paper
from paperfeed.store.papers import get_paper
from tests.support import FIXTURES

DAY = "2026-06-01"


def paper_json(n: int, **fields: Any) -> dict[str, Any]:
    """A valid line of paperfeed's JSON-lines format, with ``fields`` replaced."""
    return {
        "id": f"2606.{n:05d}",
        "listed": DAY,
        "title": f"Paper number {n}",
        "authors": ["Ada Lovelace"],
        "categories": ["cs.LG"],
        "abstract": "An abstract.",
        **fields,
    }


def hf_item(n: int, **paper: Any) -> dict[str, Any]:
    """A valid Hugging Face daily-papers item, with ``paper`` fields replaced."""
    return {
        "paper": {
            "id": f"2606.{n:05d}",
            "title": f"Paper number {n}",
            "summary": "An abstract.",
            "authors": [{"name": "Ada Lovelace"}],
            "upvotes": 3,
            "submittedOnDailyAt": f"{DAY}T08:00:00.000Z",
            "submittedOnDailyBy": {"name": "ada"},
            **paper,
        },
        "numComments": 1,
    }


def write_jsonl(path: Path, objects: list[Any]) -> Path:
    lines = [o if isinstance(o, str) else json.dumps(o) for o in objects]
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def import_jsonl(db: Database, tmp_path: Path, objects: list[Any]) -> IngestSummary:
    return import_records(db, read_jsonl(write_jsonl(tmp_path / "in.jsonl", objects)))


def stored_ids(db: Database) -> list[str]:
    with db.sessions() as s:
        return sorted(p for p in (f"2606.{n:05d}" for n in range(100)) if get_paper(s, p))


def reasons(summary: IngestSummary) -> dict[str, str]:
    return {r.where.split(" (")[0]: r.reason for r in summary.rejections}


def cli(db: Database, *args: str) -> tuple[int, str]:
    """The real command in this process; the exit code and its output with Rich's wrapping undone."""
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args), env={"PAPERFEED_DATABASE_URL": db.url})
    finally:
        get_settings.cache_clear()
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def feeds(db: Database, tmp_path: Path) -> Iterator[TestClient]:
    from tests.support.live_server import test_app  # the web app, only for the tests that read feeds

    with TestClient(test_app(db, tmp_path)) as client:
        yield client


# --- finding 2: control characters in any field of any source ---


def test_control_characters_in_every_field_are_cleaned_and_the_feeds_stay_xml(db, tmp_path, feeds):
    dirty = paper_json(
        1,
        title="Clean\u0001 title\x7f",
        abstract="Form\x0cfeed and \x1b[31mescape\u0085",
        authors=["Ada\u0002"],
        categories=["cs.AI\u0001", "cs.LG"],
        comment="12 pages\x00",
        journal_ref="J.\x08 Phys",
        doi="10.1000/x\x01",
        license="http://creativecommons.org/licenses/by/4.0/\x03",
        featured=[{"date": DAY, "source": "hf", "submitted_by": "ada\x07", "upvotes": 2}],
    )
    summary = import_jsonl(db, tmp_path, [dirty, paper_json(2)])
    assert (summary.new, summary.rejected) == (2, 0), summary.rejections
    with db.sessions() as s:
        paper = get_paper(s, "2606.00001")
        (entry,) = entries_for_paper(s, "2606.00001")
    assert paper.title == "Clean title"
    assert paper.abstract == "Form feed and [31mescape "
    assert paper.authors == ("Ada",) and paper.categories == ("cs.AI", "cs.LG")
    assert (paper.comments, paper.journal_ref, paper.doi) == ("12 pages", "J. Phys", "10.1000/x")
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert entry.submitted_by == "ada"
    for path in (f"/papers/date/{DAY}/rss", f"/papers/date/{DAY}/atom", "/search.atom?q=clean"):
        response = feeds.get(path)
        assert response.status_code == 200, path
        etree.fromstring(response.content)


def test_control_characters_from_hugging_face_are_cleaned_too(db, tmp_path):
    item = hf_item(
        3,
        title="Daily\u0001 paper",
        summary="Sum\x00mary",
        authors=[{"name": "Bo\x1fb"}],
        submittedOnDailyBy={"name": "bob\x01"},
        githubRepo="https://github.com/a/b\x01",
    )
    path = tmp_path / "daily.json"
    path.write_text(json.dumps([item]), encoding="utf-8")
    summary = import_hf_daily(db, str(path))
    assert (summary.new, summary.rejected) == (1, 0), summary.rejections
    with db.sessions() as s:
        paper = get_paper(s, "2606.00003")
        (entry,) = entries_for_paper(s, "2606.00003")
    assert (paper.title, paper.abstract, paper.authors) == ("Daily paper", "Summary", ("Bo b",))
    assert paper.github_repo == "https://github.com/a/b" and entry.submitted_by == "bob"


# --- finding 3: NUL bytes and column sizes behave alike on both backends ---


def test_a_nul_byte_is_cleaned_and_oversized_values_are_rejected_by_field(db, tmp_path):
    summary = import_jsonl(
        db,
        tmp_path,
        [
            paper_json(1, title="Nul\x00 in the title"),
            paper_json(2, categories=["cs." + "x" * 40]),
            paper_json(3, id="a" * 40 + "/1234567"),
            paper_json(4, featured=[{"date": DAY, "source": "hf", "submitted_by": "u" * 201}]),
            paper_json(5),
        ],
    )
    assert (summary.new, summary.rejected) == (2, 3), summary.rejections
    assert stored_ids(db) == ["2606.00001", "2606.00005"]
    with db.sessions() as s:
        assert get_paper(s, "2606.00001").title == "Nul in the title"
    why = reasons(summary)
    assert "field 'categories'" in why["in.jsonl line 2"] and "40 characters" in why["in.jsonl line 2"]
    assert "field 'id'" in why["in.jsonl line 3"] and "40 characters" in why["in.jsonl line 3"]
    assert "field 'featured.submitted_by'" in why["in.jsonl line 4"] and "200" in why["in.jsonl line 4"]


def test_hugging_face_values_beyond_column_sizes_are_rejected_by_field(db, tmp_path):
    path = tmp_path / "daily.json"
    path.write_text(json.dumps([hf_item(1, submittedOnDailyBy={"name": "u" * 201}), hf_item(2)]))
    summary = import_hf_daily(db, str(path))
    assert (summary.new, summary.rejected) == (1, 1)
    assert "field 'paper.submittedOnDailyBy'" in reasons(summary)["item 1"]
    assert stored_ids(db) == ["2606.00002"]


# --- finding 4: one wrongly typed field rejects its record, never the file ---

BAD_JSONL_FIELDS = [
    ({"doi": {"value": "10.1/x"}}, "doi"),
    ({"featured": "2026-06-01"}, "featured"),
    ({"featured": {"date": DAY}}, "featured"),
    ({"featured": [7]}, "featured"),
    ({"featured": [{"date": DAY, "upvotes": "many"}]}, "featured.upvotes"),
    ({"featured": [{"date": DAY, "num_comments": -1}]}, "featured.num_comments"),
    ({"featured": [{"date": DAY, "submitted_by": {"name": "ada"}}]}, "featured.submitted_by"),
    ({"featured": [{"date": DAY, "upvotes": 2**70}]}, "featured.upvotes"),
    ({"featured": [{"source": "hf"}]}, "featured.date"),
    ({"github_repo": 7}, "github_repo"),
    ({"project_page": ["https://a.b"]}, "project_page"),
    ({"versions": ["v1"]}, "versions"),
    ({"versions": {"version": 1}}, "versions"),
    ({"versions": [{"version": 1, "created": "yesterday"}]}, "versions.created"),
    ({"versions": [{"version": "one"}]}, "versions.version"),
    ({"version": 2**70}, "version"),
    ({"version": "2"}, "version"),
    ({"version": True}, "version"),
    ({"version": 0}, "version"),
    ({"title": 7}, "title"),
    ({"abstract": ["An", "abstract"]}, "abstract"),
    ({"authors": {"name": "Ada"}}, "authors"),
    ({"categories": 7}, "categories"),
    ({"comment": 12}, "comment"),
    ({"journal_ref": False}, "journal_ref"),
    ({"license": {}}, "license"),
    ({"withdrawn": "yes"}, "withdrawn"),
    ({"listed": 20260601}, "listed"),
    ({"published": "June"}, "published"),
    ({"updated": []}, "updated"),
    ({"id": "2606.00009\ud800"}, "id"),
]


@pytest.mark.parametrize(
    ("fields", "name"), BAD_JSONL_FIELDS, ids=[f"{n}-{i}" for i, (_, n) in enumerate(BAD_JSONL_FIELDS)]
)
def test_a_wrongly_typed_jsonl_field_rejects_its_line_by_name_and_the_good_lines_go_in(
    sqlite_db, tmp_path, fields, name
):
    lines = [paper_json(1), paper_json(2), paper_json(9, **fields), paper_json(3), paper_json(4)]
    summary = import_jsonl(sqlite_db, tmp_path, lines)
    assert (summary.new, summary.rejected) == (4, 1), summary.rejections
    (rejection,) = summary.rejections
    assert rejection.where.startswith("in.jsonl line 3 (id ")
    assert f"field {name!r}" in rejection.reason
    assert stored_ids(sqlite_db) == ["2606.00001", "2606.00002", "2606.00003", "2606.00004"]


def test_wrongly_typed_jsonl_fields_go_the_same_way_on_both_backends(db, tmp_path):
    bad = [paper_json(10 + i, **fields) for i, (fields, _) in enumerate(BAD_JSONL_FIELDS)]
    summary = import_jsonl(db, tmp_path, [paper_json(1), *bad, paper_json(2)])
    assert (summary.new, summary.rejected) == (2, len(BAD_JSONL_FIELDS)), summary.rejections
    assert [f"line {n + 2} " in r.where for n, r in enumerate(summary.rejections)] == [True] * len(bad)


def test_a_lone_surrogate_escape_in_a_text_field_is_dropped_and_the_paper_kept(db, tmp_path):
    line = json.dumps(paper_json(5)).replace('"Paper number 5"', '"Paper \\ud800number 5"')
    summary = import_jsonl(db, tmp_path, [paper_json(1), line])
    assert (summary.new, summary.rejected) == (2, 0)
    with db.sessions() as s:
        assert get_paper(s, "2606.00005").title == "Paper number 5"


BAD_HF_FIELDS = [
    ({"upvotes": 2**70}, "paper.upvotes"),
    ({"upvotes": "many"}, "paper.upvotes"),
    ({"githubRepo": 7}, "paper.githubRepo"),
    ({"summary": {"text": "x"}}, "paper.summary"),
    ({"authors": "Ada Lovelace"}, "paper.authors"),
    ({"authors": [{"name": 7}]}, "paper.authors"),
    ({"submittedOnDailyBy": 7}, "paper.submittedOnDailyBy"),
    ({"submittedOnDailyBy": {"name": ["ada"]}}, "paper.submittedOnDailyBy"),
    ({"submittedOnDailyAt": "yesterday"}, "paper.submittedOnDailyAt"),
    ({"submittedOnDailyAt": 20260601}, "paper.submittedOnDailyAt"),
    ({"publishedAt": {"date": DAY}}, "paper.publishedAt"),
    ({"id": ["2606.00009"]}, "paper.id"),
]


@pytest.mark.parametrize(("fields", "name"), BAD_HF_FIELDS, ids=[n for _, n in BAD_HF_FIELDS])
def test_a_wrongly_typed_hugging_face_field_rejects_its_item_by_name_and_the_rest_go_in(
    sqlite_db, tmp_path, fields, name
):
    path = tmp_path / "daily.json"
    path.write_text(json.dumps([hf_item(1), hf_item(2), hf_item(9, **fields), hf_item(3), hf_item(4)]))
    summary = import_hf_daily(sqlite_db, str(path))
    assert (summary.new, summary.rejected) == (4, 1), summary.rejections
    assert summary.rejections[0].where.startswith("item 3 ")
    assert f"field {name!r}" in summary.rejections[0].reason
    assert stored_ids(sqlite_db) == ["2606.00001", "2606.00002", "2606.00003", "2606.00004"]


def test_wrongly_typed_hugging_face_fields_go_the_same_way_on_both_backends(db, tmp_path):
    items = [
        hf_item(1),
        *(hf_item(10 + i, **fields) for i, (fields, _) in enumerate(BAD_HF_FIELDS)),
        hf_item(2),
    ]
    path = tmp_path / "daily.json"
    path.write_text(json.dumps(items))
    summary = import_hf_daily(db, str(path))
    assert (summary.new, summary.rejected) == (2, len(BAD_HF_FIELDS)), summary.rejections


def test_the_commands_report_wrongly_typed_records_and_store_the_good_ones(db, tmp_path):
    bad = [paper_json(10 + i, **fields) for i, (fields, _) in enumerate(BAD_JSONL_FIELDS)]
    path = write_jsonl(tmp_path / "in.jsonl", [paper_json(1), *bad, paper_json(2)])
    code, output = cli(db, "ingest", "jsonl", str(path))
    assert code == 0 and "2 new" in output and f"{len(bad)} rejected" in output
    assert "in.jsonl line 2 (id '2606.00010'): field 'doi' must be a string" in output
    items = [hf_item(1), *(hf_item(10 + i, **fields) for i, (fields, _) in enumerate(BAD_HF_FIELDS))]
    daily = tmp_path / "daily.json"
    daily.write_text(json.dumps(items))
    code, output = cli(db, "ingest", "hf-daily", str(daily))
    assert code == 0 and "1 unchanged" in output and f"{len(BAD_HF_FIELDS)} rejected" in output


# --- finding 5: bounded sizes: prose is cut with a note, identifiers and names are refused ---


def test_oversized_prose_is_cut_with_a_note_and_oversized_names_are_refused(db, tmp_path):
    huge = ("word " * 2_100_000)[:10_000_000]
    first = paper_json(
        1,
        abstract=huge,
        comment="c" * (MAX_COMMENTS_CHARS + 1),
        journal_ref="j " * 5_000,
        authors=[f"Author {n}" for n in range(MAX_AUTHORS + 5)] + ["x" * 1_000],
    )
    summary = import_jsonl(
        db,
        tmp_path,
        [
            first,
            paper_json(2, title="t" * (MAX_TITLE_CHARS + 1)),
            paper_json(3, doi="10.1/" + "d" * MAX_DOI_CHARS),
            paper_json(4, categories=[f"cs.{n}" for n in range(MAX_CATEGORIES + 1)]),
            paper_json(5, github_repo="https://github.com/" + "r" * MAX_URL_CHARS),
            paper_json(6),
        ],
    )
    assert (summary.new, summary.rejected, summary.noted) == (3, 3, 2), summary.rejections
    why = reasons(summary)
    assert "field 'title' is longer than 2,000 characters" in why["in.jsonl line 2"]
    assert "field 'doi'" in why["in.jsonl line 3"] and "field 'categories'" in why["in.jsonl line 4"]
    assert "field 'abstract' had 10,000,000 characters; the first 20,000 were kept" in summary.notes[0]
    assert "in.jsonl line 5" in summary.notes[1] and "field 'github_repo'" in summary.notes[1]
    with db.sessions() as s:
        paper = get_paper(s, "2606.00001")
        assert get_paper(s, "2606.00005").github_repo is None
    assert len(paper.abstract) <= MAX_ABSTRACT_CHARS and paper.abstract.endswith("word…")
    assert len(paper.comments) <= MAX_COMMENTS_CHARS and len(paper.journal_ref) <= MAX_JOURNAL_REF_CHARS
    assert len(paper.authors) == MAX_AUTHORS and paper.authors[:2] == ("Author 0", "Author 1")
    again = import_jsonl(db, tmp_path, [first])
    assert (again.new, again.updated) == (0, 0)  # the same cut every time: re-importing changes nothing


def test_the_command_prints_what_was_cut(db, tmp_path):
    path = write_jsonl(tmp_path / "long.jsonl", [paper_json(1, abstract="a " * MAX_ABSTRACT_CHARS)])
    code, output = cli(db, "ingest", "jsonl", str(path))
    assert code == 0 and "1 new" in output
    assert "note long.jsonl line 1 (id '2606.00001'): field 'abstract' had 40,000 characters" in output


def test_the_embedder_reads_a_bounded_number_of_windows_of_any_document():
    encoder = get_encoder()
    endless = "graph neural networks for molecules " * 50_000
    assert encoder.windows(endless) == MAX_WINDOWS
    started = time.perf_counter()
    (vector,) = encoder.encode_documents([endless])
    assert time.perf_counter() - started < 10 and abs(float(vector @ vector) - 1) < 1e-4


# --- finding 7: untrusted text is never read as Rich markup ---


def test_ids_titles_and_file_names_are_printed_as_they_are_not_as_markup(db, tmp_path):
    path = write_jsonl(
        tmp_path / "[red]papers.jsonl",
        [
            paper_json(1),
            {"id": "[/bogus]", "title": "x"},
            paper_json(2, title="[/i] A title that closes"),
            {"id": "[bold]2606.00003", "title": "y"},
        ],
    )
    code, output = cli(db, "ingest", "jsonl", str(path))
    assert code == 0 and "2 new" in output and "2 rejected" in output
    assert "[red]papers.jsonl line 2 (id '[/bogus]')" in output
    assert "(id '[bold]2606.00003')" in output
    broken = tmp_path / "[bold]bad.jsonl"
    broken.write_text("<html>[/oops]</html>\n")
    code, output = cli(db, "ingest", "snapshot", str(broken))
    assert code == 1 and "error:" in output and "[bold]bad.jsonl" in output


def test_a_file_name_in_the_progress_bar_is_not_markup(monkeypatch):
    screen = Console(file=io.StringIO(), force_terminal=True, width=200)
    monkeypatch.setattr(common, "console", screen)
    with common.progress_bar("importing [/bogus].jsonl", 10) as bar:
        bar.update(bar.task_ids[0], completed=10)
    assert "[/bogus].jsonl" in screen.file.getvalue()  # type: ignore[attr-defined]


def test_reader_commands_print_library_labels_and_titles_as_they_are(db, tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", [paper_json(1, title="[/i] Closing tags [link=x]here")])
    assert cli(db, "ingest", "jsonl", str(path))[0] == 0
    assert cli(db, "users", "add", "ada")[0] == 0
    library = tmp_path / "[italic]lib.bib"
    library.write_text(
        "@misc{a, title={Whatever}, eprint={2606.00001}, archivePrefix={arXiv}}\n"
        "@article{[/bogus], title={never closed\n"
    )
    code, output = cli(db, "library", "import", "--user", "ada", "--no-embed", str(library))
    assert code == 0 and "[italic]lib.bib" in output and "([/bogus])" in output
    code, output = cli(db, "recommend", "--user", "ada", "--date", DAY)
    assert code == 0 and "[/i]" in output and "[link=x]here" in output  # the table may wrap the title


# --- finding 8: a line that is not UTF-8 is rejected by its own number; the rest goes in ---


def test_a_line_that_is_not_utf8_is_rejected_by_its_number_and_the_rest_goes_in(db, tmp_path):
    lines = [json.dumps(paper_json(n)).encode() for n in range(1, 6)]
    lines[2] = lines[2].replace(b"Paper number 3", b"Paper \xff\xfe number 3")
    for name, body in (
        ("plain.jsonl", b"\n".join(lines) + b"\n"),
        ("packed.jsonl.gz", gzip.compress(b"\n".join(lines))),
    ):
        path = tmp_path / name
        path.write_bytes(body)
        summary = import_records(db, read_jsonl(path))
        assert summary.rejected == 1 and summary.new + summary.unchanged == 4
        (rejection,) = summary.rejections
        assert rejection.where == f"{name} line 3" and "not UTF-8" in rejection.reason
    assert stored_ids(db) == ["2606.00001", "2606.00002", "2606.00004", "2606.00005"]


def test_a_bad_line_deep_in_a_large_file_is_named_by_its_own_number(sqlite_db, tmp_path):
    lines = [json.dumps(paper_json(1, abstract="x" * 100)).encode()] * 999
    lines[700] = b'{"id": "2606.00002", "title": "\xc3\x28"}'
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    summary = import_records(sqlite_db, read_jsonl(path))
    assert [r.where for r in summary.rejections] == ["big.jsonl line 701"]


def test_overlong_deeply_nested_or_huge_number_lines_are_rejected_by_line(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_LINE_BYTES", 10_000)
    path = write_jsonl(
        tmp_path / "odd.jsonl",
        [
            paper_json(1),
            json.dumps(paper_json(2, abstract="y" * 20_000)),
            "[" * 100_000 + "]" * 100_000,
            '{"id": "2606.00004", "version": ' + "9" * 5_000 + "}",
            paper_json(5),
        ],
    )
    summary = import_records(sqlite_db, read_jsonl(path))
    assert stored_ids(sqlite_db) == ["2606.00001", "2606.00005"]
    assert [r.where for r in summary.rejections] == [f"odd.jsonl line {n}" for n in (2, 3, 4)]
    assert "longer than" in summary.rejections[0].reason


def test_a_byte_order_mark_does_not_make_a_file_malformed(sqlite_db, tmp_path):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(paper_json(1)).encode() + b"\n")
    assert import_records(sqlite_db, read_jsonl(path)).new == 1


# --- finding 16: conflicting duplicates are reported, dates in the future refused ---


def test_a_duplicate_id_with_other_data_is_rejected_naming_both_lines_and_the_first_kept(db, tmp_path):
    lines = [
        paper_json(1, title="The first title"),
        paper_json(2),
        paper_json(1, title="Another title", abstract="Another abstract."),
        paper_json(1, title="The first title", doi="10.1/fills-a-gap"),  # agrees: only adds a field
        paper_json(2, version=2, title="Version two"),  # a newer version is an update, not a conflict
        paper_json(3),
        paper_json(3),
    ]  # the same record twice
    summary = import_jsonl(db, tmp_path, lines)
    assert (summary.new, summary.rejected) == (3, 1), summary.rejections
    (conflict,) = summary.rejections
    assert conflict.where == "in.jsonl line 3 (id '2606.00001')"
    assert conflict.reason.startswith(
        "conflicts with in.jsonl line 1 (id '2606.00001'): the same id and "
        "version 1 but a different title, abstract"
    )
    with db.sessions() as s:
        first, second = get_paper(s, "2606.00001"), get_paper(s, "2606.00002")
    assert (first.title, first.doi) == ("The first title", "10.1/fills-a-gap")
    assert (second.title, second.version) == ("Version two", 2)
    again = import_jsonl(db, tmp_path, lines)
    assert (again.new, again.updated, again.rejected) == (0, 0, 1)  # the same verdict every time


def test_conflicts_are_found_across_batches(sqlite_db, tmp_path):
    lines = [paper_json(1)] + [paper_json(n) for n in range(10, 60)] + [paper_json(1, title="Changed")]
    path = write_jsonl(tmp_path / "in.jsonl", lines)
    with sqlite_db.session() as session:
        summary = run_ingest(session, read_jsonl(path), batch_size=7)
    assert [r.where for r in summary.rejections] == ["in.jsonl line 52 (id '2606.00001')"]


def test_a_version_dated_in_the_future_is_refused_and_tomorrow_is_not(db, tmp_path):
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    summary = import_jsonl(
        db,
        tmp_path,
        [
            paper_json(
                1,
                version=2,
                versions=[{"version": 1, "created": DAY}, {"version": 2, "created": "2029-01-01"}],
            ),
            paper_json(2, updated="2029-01-01"),
            paper_json(3, featured=[{"date": "2029-01-01", "source": "hf"}]),
            paper_json(4, published=tomorrow, listed=tomorrow),
        ],
    )
    assert (summary.new, summary.rejected) == (1, 3)
    why = reasons(summary)
    assert "field 'versions' is in the future: 2029-01-01" in why["in.jsonl line 1"]
    assert "field 'updated' is in the future" in why["in.jsonl line 2"]
    assert "field 'featured.date' is in the future" in why["in.jsonl line 3"]
    snapshot = tmp_path / "snapshot.jsonl"
    write_jsonl(
        snapshot,
        [
            {
                "id": "2606.00005",
                "title": "T",
                "versions": [
                    {"version": "v1", "created": "Mon, 1 Jun 2026 10:00:00 GMT"},
                    {"version": "v2", "created": "Mon, 1 Jan 2029 10:00:00 GMT"},
                ],
            }
        ],
    )
    summary = import_records(db, read_snapshot(snapshot))
    assert summary.rejected == 1 and "is in the future: 2029-01-01" in summary.rejections[0].reason
    with db.sessions() as s:
        assert get_paper(s, "2606.00005") is None


# --- finding 18: an empty file is one clear error, whatever the command ---


@pytest.mark.parametrize("command", ["jsonl", "snapshot", "hf-daily"])
@pytest.mark.parametrize("body", [b"", b"\n  \n", gzip.compress(b"")], ids=["empty", "blank", "empty-gzip"])
def test_an_empty_file_is_one_clear_error_for_every_command(sqlite_db, tmp_path, command, body):
    path = tmp_path / ("empty.json.gz" if body[:2] == b"\x1f\x8b" else "empty.json")
    path.write_bytes(body)
    code, output = cli(sqlite_db, "ingest", command, str(path))
    assert code == 1
    assert output.startswith("error:") and f"{path}: the file is empty" in output
    assert "Traceback" not in output


# --- finding 19: the database's keyword index holds what its content holds ---


def _database_keyword_hits(db: Database, text: str) -> list[str]:
    with db.sessions() as session:
        hits = keyword_db.keyword_search(
            session, parse_query(text), limit=10, filters=SearchFilters(), weights=(2.0, 1.5, 1.0)
        )
    return [paper_id for paper_id, _ in hits]


def _fts_problems(db: Database) -> list[str]:
    """FTS5's own checks; 'integrity-check' with rank 1 also compares the index with its content."""
    problems = []
    with db.engine.begin() as connection:
        for statement in (
            "INSERT INTO papers_fts(papers_fts) VALUES('integrity-check')",
            "INSERT INTO papers_fts(papers_fts, rank) VALUES('integrity-check', 1)",
        ):
            try:
                connection.exec_driver_sql(statement)
            except sa.exc.DatabaseError as error:
                problems.append(f"{statement}: {error.orig}")
    return problems


def test_author_search_finds_non_ascii_names_and_the_sqlite_index_checks_out(db, tmp_path):
    import_jsonl(
        db,
        tmp_path,
        [
            paper_json(1, authors=["José Müller", "Zoë O'Brien"]),
            paper_json(2),
            paper_json(3, authors=['Ann "Quote" Back\\slash']),
        ],
    )
    assert _database_keyword_hits(db, "Müller") == ["2606.00001"]
    assert _database_keyword_hits(db, "Zoë") == ["2606.00001"]
    assert _database_keyword_hits(db, "quote slash") == ["2606.00003"]
    if not db.is_sqlite:
        return
    assert _database_keyword_hits(db, "muller jose") == ["2606.00001"]  # FTS5 folds accents; tsvector doesn't
    assert _fts_problems(db) == []
    import_jsonl(
        db, tmp_path, [paper_json(1, version=2, authors=["Ærø Ünal"]), paper_json(2, title="Renamed")]
    )
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM papers WHERE id = '2606.00003'")
    assert _fts_problems(db) == []
    with db.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO papers_fts(papers_fts) VALUES('rebuild')")
    assert _fts_problems(db) == []
    assert _database_keyword_hits(db, "Ünal") == ["2606.00001"] and _database_keyword_hits(db, "Müller") == []
    assert _database_keyword_hits(db, "renamed") == ["2606.00002"]
    assert _database_keyword_hits(db, "quote") == []


def test_the_fts_content_migration_carries_existing_papers_down_and_up(db, tmp_path):
    import_jsonl(db, tmp_path, [paper_json(1, authors=["José Müller"]), paper_json(2, title="Zebra")])
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010_search_index")
    assert _database_keyword_hits(db, "Müller") == (["2606.00001"] if db.is_sqlite else [])
    db.migrate()
    assert _database_keyword_hits(db, "Müller") == ["2606.00001"]
    assert _database_keyword_hits(db, "zebra") == ["2606.00002"]
    if db.is_sqlite:
        assert _fts_problems(db) == []


# --- siblings found on the way ---


def test_the_primary_category_must_be_a_name_and_class_codes_after_it_are_kept(db, tmp_path):
    summary = import_jsonl(
        db,
        tmp_path,
        [
            paper_json(1, categories=["[/bogus]", "cs.LG"]),
            paper_json(2, categories=["<script>"]),
            paper_json(3, categories=["cs.AI", "cond-mat.str-el", "math-ph", "[/not-a-name]"]),
            paper_json(4, categories=["cs.LG", "I.2.6; " * 100]),
        ],
    )
    assert (summary.new, summary.rejected, summary.noted) == (2, 2, 1)
    assert all("primary category that is not a name like cs.LG" in r.reason for r in summary.rejections)
    real = import_records(db, read_jsonl(FIXTURES / "hardening" / "class-codes-in-categories.jsonl"))
    assert (real.new, real.rejected) == (4, 0)  # real listings: MSC and ACM classes after the categories
    with db.sessions() as s:
        assert get_paper(s, "2503.13354").categories[-1] == "68U10, 90C26"
        assert len(get_paper(s, "2606.00004").categories[1]) <= MAX_CLASSES_CHARS


def test_a_hugging_face_file_that_would_not_fit_in_memory_is_refused_unread(sqlite_db, tmp_path, monkeypatch):
    monkeypatch.setattr(hf_service, "MAX_ANSWER_BYTES", 100_000)
    bomb = tmp_path / "bomb.json.gz"
    bomb.write_bytes(gzip.compress(b"[" + b" " * 1_000_000 + b"]"))
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b" " * 200_000 + b"]")
    for path in (bomb, big):
        code, output = cli(sqlite_db, "ingest", "hf-daily", str(path))
        assert code == 1 and f"{path}" in output and "more than" in output
    padded = tmp_path / "padded.json.gz"
    padded.write_bytes(gzip.compress(json.dumps([hf_item(1)]).encode()) + gzip.compress(b"") + b"\0" * 8)
    assert import_hf_daily(sqlite_db, str(padded)).new == 1


def test_snapshot_versions_that_are_not_numbers_reject_the_line_not_the_file(sqlite_db, tmp_path):
    def line(n: int, label: str, created: str = "Mon, 1 Jun 2026 10:00:00 GMT") -> dict[str, Any]:
        return {"id": f"2606.{n:05d}", "title": "T", "versions": [{"version": label, "created": created}]}

    huge_year = "Mon, 2 Apr 99999999999999999999 19:18:42 GMT"
    path = write_jsonl(
        tmp_path / "snap.jsonl",
        [
            line(1, "v1"),
            line(2, "v²"),
            line(3, "v" + "9" * 5_000),
            line(4, "v1", huge_year),
            line(5, "v2000"),
            line(6, "v2"),
        ],
    )
    summary = import_records(sqlite_db, read_snapshot(path))
    assert (summary.new, summary.rejected) == (2, 4)
    assert [r.where.split(" (")[0] for r in summary.rejections] == ["line 2", "line 3", "line 4", "line 5"]


def test_the_fts_content_migration_takes_legacy_nul_escapes_in_author_names(db, tmp_path):
    import_jsonl(db, tmp_path, [paper_json(1)])
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0010_search_index")
        # stored before NULs were cleaned at ingest: PostgreSQL's json keeps the escape, jsonb refuses it
        connection.execute(
            sa.text("UPDATE papers SET authors = :names"),
            {"names": '["Jos\\u00e9 M\\u00fcller\\u0000", "Back\\\\u0000slash"]'},
        )
    db.migrate()
    assert _database_keyword_hits(db, "Müller") == ["2606.00001"]
    with db.sessions() as s:
        assert get_paper(s, "2606.00001").authors == ("José Müller", "Back\\u0000slash")

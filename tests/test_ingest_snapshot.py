"""The Kaggle arXiv snapshot importer, on real records, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from paperfeed.cli.app import app
from paperfeed.config import get_settings
from paperfeed.domain import FeedEntry, FeedSource, PaperVersion
from paperfeed.ingest.records import MalformedSource
from paperfeed.ingest.snapshot import read_snapshot, snapshot_paper
from paperfeed.services.files import import_records
from paperfeed.store.feed import entries_for_paper
from paperfeed.store.models import PaperRow
from paperfeed.store.papers import count_papers, get_paper
from tests.support import FIXTURES

# Real records of the Kaggle snapshot, copied from its first 1000 (see tests/fixtures/make_fixtures.py):
# SUBSET is the first 150 plus every withdrawn paper and near miss of those 1000; FEW is six of them.
SUBSET = FIXTURES / "snapshot" / "subset.jsonl"
SUBSET_SIZE = 162
FEW = FIXTURES / "snapshot" / "sample.jsonl"


def real_lines() -> list[dict]:
    return [json.loads(line) for line in FEW.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(db_url: str, *args: str) -> tuple[int, str]:
    """Run the real CLI; returns the exit code and the output with Rich's line wrapping undone."""
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args), env={"PAPERFEED_DATABASE_URL": db_url})
    finally:
        get_settings.cache_clear()
    return result.exit_code, " ".join(result.output.split())


def test_snapshot_fields_are_cleaned_and_dated_from_versions(db):
    summary = import_records(db, read_snapshot(FEW))
    assert (summary.new, summary.rejected) == (6, 0)
    with db.sessions() as s:
        paper = get_paper(s, "0704.0001")
        entries = entries_for_paper(s, "0704.0001")
        frenchman = get_paper(s, "0704.0335")
        czech = get_paper(s, "0704.0062")
    assert paper.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert paper.abstract.startswith(
        "A fully differential calculation in perturbative quantum chromodynamics is presented"
    )
    assert "\n" not in paper.abstract and not paper.abstract.endswith(" ")
    assert paper.authors == ("C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan")
    assert paper.categories == ("hep-ph",)
    assert (paper.version, paper.published, paper.updated) == (2, date(2007, 4, 2), date(2007, 7, 24))
    assert paper.versions == (PaperVersion(1, date(2007, 4, 2)), PaperVersion(2, date(2007, 7, 24)))
    assert (paper.doi, paper.journal_ref) == ("10.1103/PhysRevD.76.013009", "Phys.Rev.D76:013009,2007")
    assert paper.comments == "37 pages, 15 figures; published version"
    assert paper.license is None and not paper.withdrawn
    assert entries == [FeedEntry("0704.0001", date(2007, 4, 2), FeedSource.ARXIV)]
    assert frenchman.authors == ("Gilles Pagès", "Fabien Panloup")  # affiliations are not names
    assert czech.authors == ("Rastislav Šrámek", "Broňa Brejová", "Tomáš Vinař")


def test_tex_accents_in_parsed_names_become_unicode():
    record = real_lines()[0] | {"authors_parsed": [['Sch\\"afer', "J.", ""], ["{\\'E}mile", "Anne", "Jr"]]}
    assert snapshot_paper(record).authors == ("J. Schäfer", "Anne Émile Jr")
    without_parsed = {k: v for k, v in real_lines()[3].items() if k != "authors_parsed"}
    assert snapshot_paper(without_parsed).authors == ("Rastislav Šrámek", "Broňa Brejová", "Tomáš Vinař")


def test_every_record_of_the_real_subset_is_cleaned(db):
    raw = {r["id"]: r for r in map(json.loads, SUBSET.read_text(encoding="utf-8").splitlines())}
    # The copied records keep the quirks of the real dump (this guards the fixture itself).
    assert len(raw) == SUBSET_SIZE
    assert all(r["abstract"].startswith("  ") and "\n" in r["abstract"] for r in raw.values())
    assert sum("\n" in r["title"] for r in raw.values()) == 61
    assert sum("\\" in r["authors"] for r in raw.values()) == 7  # TeX accents: Bal\'azs, \v{S}r\'amek, ...
    assert sum(len(r["versions"]) > 1 for r in raw.values()) == 81
    assert all(r["authors_parsed"] for r in raw.values())
    summary = import_records(db, read_snapshot(SUBSET))
    assert (summary.new, summary.rejected) == (SUBSET_SIZE, 0)
    with db.sessions() as s:
        papers = [get_paper(s, paper_id) for paper_id in raw]
    for paper in papers:
        record = raw[paper.id]
        assert paper.title == " ".join(record["title"].split())
        assert paper.abstract == " ".join(record["abstract"].split())
        assert len(paper.authors) == len(record["authors_parsed"])
        assert not any(mark in name for name in paper.authors for mark in "\\{}"), paper.authors
        assert [v.version for v in paper.versions] == list(range(1, len(record["versions"]) + 1))
        assert paper.version == len(record["versions"])
        assert (paper.published, paper.updated) == (paper.versions[0].created, paper.versions[-1].created)
    by_id = {paper.id: paper for paper in papers}
    assert by_id["0704.0028"].authors == ("Péter E. Frenkel",)
    assert by_id["0704.0032"].authors == ("A. Esteban-Pretel", "R. Tomàs", "J. W. F. Valle")
    assert by_id["0704.0049"].authors == ("Mikkel Øbro",)


def test_withdrawn_papers_of_the_real_subset_are_marked(db):
    import_records(db, read_snapshot(SUBSET))
    with db.sessions() as s:
        withdrawn = s.scalars(sa.select(PaperRow.id).where(PaperRow.withdrawn).order_by(PaperRow.id)).all()
    # Every record of the 1000 whose comment says it was withdrawn, and no other: not the near misses
    # ("Journal-ref removed" 0704.0053, "typos removed" 0704.0786, and 0704.0700, 0704.0830, 0704.0981).
    assert withdrawn == [
        "0704.0156",
        "0704.0213",
        "0704.0374",
        "0704.0480",
        "0704.0525",
        "0704.0644",
        "0704.0840",
    ]


def test_cli_imports_the_gzip_subset_and_a_second_run_changes_nothing(db, tmp_path):
    archive = tmp_path / "snapshot.jsonl.gz"
    archive.write_bytes(gzip.compress(SUBSET.read_bytes()))
    first_code, first = cli(db.url, "ingest", "snapshot", str(archive))
    second_code, second = cli(db.url, "ingest", "snapshot", str(archive))
    assert (first_code, second_code) == (0, 0), first + second
    assert f"{SUBSET_SIZE} new, 0 updated, 0 unchanged, 0 rejected" in first
    assert f"0 new, 0 updated, {SUBSET_SIZE} unchanged, 0 rejected" in second
    assert "feed entries: 0 new, 0 updated" in second
    with db.sessions() as s:
        assert count_papers(s) == SUBSET_SIZE


def test_a_malformed_record_is_rejected_by_line_and_field_and_the_rest_goes_in(db, tmp_path):
    good = FEW.read_text(encoding="utf-8").splitlines()
    no_title = json.dumps(real_lines()[1] | {"title": "  \n "})
    bad_version = json.dumps(real_lines()[2] | {"versions": [{"version": "first", "created": "x"}]})
    bad_id = json.dumps(real_lines()[4] | {"id": "not-an-id"})
    lines = [good[0], no_title, "{broken json", bad_version, bad_id, good[5]]
    path = write_lines(tmp_path / "mixed.jsonl", lines)
    summary = import_records(db, read_snapshot(path))
    assert (summary.new, summary.rejected) == (2, 4)
    reasons = {r.where: r.reason for r in summary.rejections}
    assert "field 'title'" in reasons["line 2 (id '0704.0002')"]
    assert "not a JSON object" in reasons["line 3"]
    assert "field 'versions'" in reasons["line 4 (id '0704.0049')"]
    assert "not an arXiv id" in reasons["line 5 (id 'not-an-id')"]
    with db.sessions() as s:
        assert count_papers(s) == 2


@pytest.mark.parametrize("damage", ["truncated gzip", "not json lines"])
def test_a_malformed_file_is_a_clear_error_and_stores_nothing(db, tmp_path, damage):
    import_records(db, read_snapshot(FEW))  # the database already holds something
    path = tmp_path / "bad.jsonl.gz"
    if damage == "truncated gzip":
        whole = gzip.compress(SUBSET.read_bytes())
        path.write_bytes(whole[: len(whole) // 2])
    else:
        path.write_text("<html><body>502 Bad Gateway</body></html>\n", encoding="utf-8")
    with pytest.raises(MalformedSource, match="bad.jsonl.gz"):
        import_records(db, read_snapshot(path))
    with db.sessions() as s:
        assert count_papers(s) == 6
    code, output = cli(db.url, "ingest", "snapshot", str(path))
    assert code == 1
    assert "error:" in output and "bad.jsonl.gz" in output

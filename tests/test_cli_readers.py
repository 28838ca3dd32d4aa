"""`paperfeed users add`, `library import` and `recommend` as an admin or a script runs them: a real process
on a real SQLite file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from paperfeed.services.sample import sample_path
from tests.support.cli import run


def test_add_a_reader_import_a_library_and_print_their_ranking(tmp_path: Path) -> None:
    assert run(tmp_path, "ingest", "jsonl", str(sample_path())).returncode == 0
    added = run(tmp_path, "users", "add", "ada", "--email", "ada@example.org")
    assert added.returncode == 0, added.stderr
    assert re.search(r"with the password \S{12,}", added.stderr)
    assert run(tmp_path, "users", "add", "ADA").returncode == 1  # names are unique regardless of case

    library = tmp_path / "library.bib"
    library.write_text(
        "@misc{a, title={Whatever}, eprint={2606.31722}, archivePrefix={arXiv}}\n"
        "@misc{b, title={Interleaved Speech Language Models Latently Work In Text}}\n"
        "@article{c, title={A paper from elsewhere}, abstract={Hidden Markov models of speech.},\n"
        "  year={1989}}\n"
        "@article{broken, title={never closed\n"
    )
    imported = run(tmp_path, "library", "import", "--user", "ada", "--no-embed", str(library))
    assert imported.returncode == 0, imported.stderr
    assert "2 matched to stored papers (1 by arxiv, 1 by title)" in imported.stderr
    assert "1 kept unmatched" in imported.stderr and "1 rejected" in imported.stderr
    assert "entry 4 (broken)" in imported.stderr
    again = run(tmp_path, "library", "import", "--user", "ada", "--no-embed", str(library))
    assert "0 matched" in again.stderr and "3 already in your library" in again.stderr

    ranked = run(tmp_path, "recommend", "--user", "ada", "--date", "2026-07-01", "--limit", "5", "--json")
    assert ranked.returncode == 0, ranked.stderr
    rows = json.loads(ranked.stdout)
    assert len(rows) == 5
    assert all({"id", "title", "score", "reasons"} <= row.keys() and row["reasons"] for row in rows)
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)

    table = run(tmp_path, "recommend", "--user", "ada", "--week", "2026-W27")
    assert table.returncode == 0 and "For ada" in table.stderr


def test_unknown_reader_and_bad_period_are_one_line_each(tmp_path: Path) -> None:
    missing = run(tmp_path, "recommend", "--user", "nobody")
    assert missing.returncode == 1 and "no user named 'nobody'" in missing.stderr
    run(tmp_path, "users", "add", "bob")
    bad = run(tmp_path, "recommend", "--user", "bob", "--week", "2026-27")
    assert bad.returncode == 1 and "expected YYYY-Www" in bad.stderr and "Traceback" not in bad.stderr
    empty = tmp_path / "empty.bib"
    empty.write_text("")
    result = run(tmp_path, "library", "import", "--user", "bob", str(empty))
    assert result.returncode == 1 and "empty" in result.stderr

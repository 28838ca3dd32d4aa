"""Pure domain rules: arXiv ids in every form users paste, and merging what two sources know."""

from __future__ import annotations

from datetime import date

import pytest

from paperfeed.domain import InvalidArxivId, Paper, PaperVersion, parse_arxiv_id
from paperfeed.domain.paper import merge_papers


@pytest.mark.parametrize(
    ("text", "base", "version"),
    [
        ("2410.12345", "2410.12345", None),
        ("2410.12345v3", "2410.12345", 3),
        ("  arXiv:2410.12345v2 ", "2410.12345", 2),
        ("https://arxiv.org/abs/2410.12345v1", "2410.12345", 1),
        ("https://arxiv.org/pdf/2410.12345.pdf", "2410.12345", None),
        ("http://export.arxiv.org/abs/0704.0001", "0704.0001", None),
        ("arxiv.org/pdf/2410.12345v2?download=1", "2410.12345", 2),
        ("hep-th/9901001v2", "hep-th/9901001", 2),
        ("math.GT/0309136", "math.GT/0309136", None),
    ],
)
def test_arxiv_ids_parse_from_every_form(text: str, base: str, version: int | None):
    parsed = parse_arxiv_id(text)
    assert (parsed.base, parsed.version) == (base, version)


@pytest.mark.parametrize("text", ["", "12345", "2410.123", "https://example.org/abs/2410.12345", "<script>"])
def test_garbage_is_not_an_arxiv_id(text: str):
    with pytest.raises(InvalidArxivId, match="not an arXiv id"):
        parse_arxiv_id(text)


def test_merge_keeps_the_newest_text_and_unions_versions_and_fills_gaps():
    old = Paper(
        "2501.00001",
        "Old title",
        abstract="old",
        version=1,
        categories=("cs.LG",),
        versions=(PaperVersion(1, date(2025, 1, 1)),),
    )
    new = Paper(
        "2501.00001",
        "New title",
        abstract="new",
        version=2,
        github_repo="https://github.com/a/b",
        versions=(PaperVersion(2, date(2025, 2, 1)),),
    )
    for merged in (merge_papers(old, new), merge_papers(new, old)):
        assert (merged.title, merged.abstract, merged.version) == ("New title", "new", 2)
        assert merged.categories == ("cs.LG",) and merged.github_repo == "https://github.com/a/b"
        assert [v.version for v in merged.versions] == [1, 2]


def test_content_hash_changes_with_any_field_and_only_then():
    paper = Paper("2501.00001", "T", abstract="a")
    assert paper.content_hash() == Paper("2501.00001", "T", abstract="a").content_hash()
    assert paper.content_hash() != Paper("2501.00001", "T", abstract="a", withdrawn=True).content_hash()


def test_withdrawal_sticks_for_a_version_and_only_a_newer_version_lifts_it():
    withdrawn = Paper("2501.00001", "T", version=2, withdrawn=True)
    from_hf = Paper("2501.00001", "T", version=2, github_repo="https://github.com/a/b")
    assert merge_papers(withdrawn, from_hf).withdrawn
    assert merge_papers(from_hf, withdrawn).withdrawn
    assert not merge_papers(withdrawn, Paper("2501.00001", "T", version=3)).withdrawn
    assert merge_papers(withdrawn, Paper("2501.00001", "T", version=1)).withdrawn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://github.com/a/b", "https://github.com/a/b"),
        ("  http://example.org/x?y=1 ", "http://example.org/x?y=1"),
        ("github.com/a/b", "https://github.com/a/b"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("//evil.example/x", None),
        ("https:/\\evil", None),
        ("", None),
        (None, None),
    ],
)
def test_only_absolute_http_links_are_kept(text, expected):
    from paperfeed.domain.links import web_url

    assert web_url(text) == expected


def test_a_snippet_flattens_whitespace_and_cuts_at_a_word_boundary():
    from paperfeed.domain.text import snippet

    assert snippet("  A short\n  abstract.  ") == "A short abstract."
    long = "word, " * 100
    assert snippet(long) == ("word, " * 40).strip().rstrip(",") + "…" and len(snippet(long)) <= 241
    assert snippet(long, 280) == ("word, " * 46).strip().rstrip(",") + "…"

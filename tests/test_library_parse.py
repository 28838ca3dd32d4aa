"""Reading an exported library: each tool's export, LaTeX, broken entries, format detection, bad files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperfeed.ingest.library import LibraryEntry, LibraryFormatError, ParsedLibrary, parse_library, title_key

FIXTURES = Path(__file__).parent / "fixtures" / "library"

ATTENTION = "Attention Is All You Need"
BERT = "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
DDPM = "Denoising Diffusion Probabilistic Models"
NATURE_DOI = "10.1038/nature14539"


def parse_fixture(name: str) -> ParsedLibrary:
    return parse_library((FIXTURES / name).read_bytes())


def by_id(parsed: ParsedLibrary) -> dict[str | None, LibraryEntry]:
    return {entry.arxiv_id or entry.doi: entry for entry in parsed.entries}


def bib(body: str) -> LibraryEntry:
    """The single entry of a small BibTeX snippet."""
    parsed = parse_library(body)
    assert parsed.rejected == [] and len(parsed.entries) == 1
    return parsed.entries[0]


def test_zotero_bibtex_finds_ids_in_doi_url_and_note():
    parsed = parse_fixture("zotero.bib")
    assert parsed.format == "bibtex" and parsed.rejected == []
    assert [(e.arxiv_id, e.doi) for e in parsed.entries] == [
        ("1706.03762", "10.48550/arxiv.1706.03762"),
        (None, NATURE_DOI),
        ("2006.11239", "10.48550/arxiv.2006.11239"),
    ]
    attention, nature, _ = parsed.entries
    assert attention.title == ATTENTION and attention.key == "vaswani_attention_2017"
    assert attention.authors[5:7] == ("Aidan N. Gomez", "Lukasz Kaiser") and len(attention.authors) == 8
    assert attention.abstract.startswith("The dominant sequence transduction models")
    assert attention.year == 2023 and attention.added_at == datetime(2024, 1, 5, tzinfo=UTC)
    assert nature.title == "Deep learning" and nature.year == 2015
    assert nature.abstract.endswith("drug discovery and genomics.")
    assert [e.position for e in parsed.entries] == [1, 2, 3]


def test_better_bibtex_and_biblatex_online_entries():
    parsed = parse_fixture("zotero-betterbibtex.bib")
    entries = by_id(parsed)
    assert set(entries) == {"1810.04805", "2006.11239", NATURE_DOI}
    bert, ddpm = entries["1810.04805"], entries["2006.11239"]
    assert bert.title == BERT and bert.year == 2019
    assert bert.abstract.endswith("GLUE score to 80.5% (7.7% point absolute improvement).")
    assert ddpm.year == 2020 and ddpm.added_at == datetime(2024, 3, 1, 9, 30, tzinfo=UTC)
    assert ddpm.authors == ("Jonathan Ho", "Ajay Jain", "Pieter Abbeel")
    assert entries[NATURE_DOI].title == "Deep Learning" and entries[NATURE_DOI].year == 2015


def test_mendeley_bibtex_decodes_latex_and_reads_arxiv_preprint_journal():
    parsed = parse_fixture("mendeley.bib")
    attention, bert, notes = parsed.entries
    assert (attention.arxiv_id, bert.arxiv_id, notes.arxiv_id) == ("1706.03762", "1810.04805", None)
    assert attention.title == "Attention is all you need" and "Łukasz Kaiser" in attention.authors
    assert bert.title == BERT and bert.year == 2018
    assert notes.title == "Gödel & Escher: Strange Loops in Formal Systems"
    assert notes.authors == ("Jörg Müller", "Zoé Émile")
    assert notes.abstract.startswith("Lecture notes on self-reference: how Gödel's incompleteness theorems")


def test_paperpile_bibtex_with_quoted_fields_and_urls():
    entries = by_id(parse_fixture("paperpile.bib"))
    assert set(entries) == {"1706.03762", "1810.04805", "2006.11239", NATURE_DOI}
    assert (
        entries["1810.04805"].title
        == "BERT: Pre-training of deep bidirectional transformers for language understanding"
    )
    assert entries["1706.03762"].abstract == (
        "The dominant sequence transduction models are based on complex recurrent or convolutional neural "
        "networks in an encoder-decoder configuration."
    )
    assert entries["1706.03762"].authors[5] == "Aidan N Gomez"
    assert entries[NATURE_DOI].year == 2015


def test_malformed_bibtex_block_is_rejected_by_position_and_the_rest_parse():
    parsed = parse_fixture("broken.bib")
    assert [(e.position, e.title) for e in parsed.entries] == [(1, "Deep learning"), (3, DDPM)]
    (rejected,) = parsed.rejected
    assert (rejected.position, rejected.label) == (2, "broken_2021")
    assert rejected.reason == "not valid BibTeX: unbalanced braces (the entry starting on line 8)"


def test_zotero_ris_with_crlf_lines():
    parsed = parse_fixture("zotero.ris")
    assert parsed.format == "ris" and parsed.rejected == []
    assert [(e.arxiv_id, e.doi, e.year) for e in parsed.entries] == [
        ("1706.03762", "10.48550/arxiv.1706.03762", 2023),
        (None, NATURE_DOI, 2015),
        ("2006.11239", "10.48550/arxiv.2006.11239", 2020),
    ]
    attention = parsed.entries[0]
    assert attention.title == ATTENTION and attention.authors[0] == "Ashish Vaswani"
    assert attention.added_at == datetime(2024, 1, 5, 10, 11, 12, tzinfo=UTC)
    assert parsed.entries[1].abstract.startswith("Deep learning allows computational models")


def test_mendeley_ris_finds_ids_in_journal_and_url():
    parsed = parse_fixture("mendeley.ris")
    bert, attention, notes = parsed.entries
    assert (bert.arxiv_id, bert.key, bert.title) == ("1810.04805", "Devlin2018", BERT)
    assert attention.arxiv_id == "1706.03762" and "Łukasz Kaiser" in attention.authors
    assert notes.arxiv_id is None and notes.title == "Gödel & Escher: Strange Loops in Formal Systems"
    assert notes.abstract.startswith("Lecture notes on self-reference: how Gödel's")  # AB wins over N2


def test_zotero_csl_json():
    parsed = parse_fixture("zotero-csl.json")
    assert parsed.format == "csl-json"
    ddpm, nature, bert = parsed.entries
    assert (ddpm.arxiv_id, ddpm.doi, ddpm.year) == ("2006.11239", "10.48550/arxiv.2006.11239", 2020)
    assert ddpm.added_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert ddpm.key == "http://zotero.org/users/local/kPvd4xBS/items/7W3QZ2RT"
    assert (nature.doi, nature.year, nature.added_at) == (NATURE_DOI, 2015, datetime(2024, 2, 10, tzinfo=UTC))
    assert bert.title == BERT and bert.arxiv_id == "1810.04805"  # bare number, container-title "arXiv"
    assert bert.authors == ("Jacob Devlin", "Google AI Language")
    (stray,) = parsed.rejected
    assert (stray.position, stray.reason) == (4, "not a CSL-JSON item: a str, not an object")


def test_id_list_skips_comments_and_rejects_other_lines():
    parsed = parse_fixture("ids.txt")
    assert parsed.format == "ids"
    assert [e.arxiv_id for e in parsed.entries] == [
        "1706.03762",
        "1810.04805",
        "2006.11239",
        "hep-th/9901001",
    ]
    assert all(e.title == "" for e in parsed.entries)
    (bad,) = parsed.rejected
    assert (bad.position, bad.label) == (5, "see the transformer paper")
    assert bad.reason == "line 7 is not an arXiv id or arxiv.org link"


@pytest.mark.parametrize(
    "fields",
    [
        "eprint = {1706.03762v5}, archivePrefix = {arXiv}",
        "eprint = {1706.03762}, eprinttype = {arxiv}",
        "doi = {10.48550/arXiv.1706.03762}",
        "url = {https://arxiv.org/pdf/1706.03762v7.pdf}",
        "howpublished = {\\url{http://arxiv.org/abs/1706.03762}}",
        "note = {arXiv: 1706.03762}",
        "journal = {arXiv preprint arXiv:1706.03762}",
        "journal = {CoRR}, volume = {abs/1706.03762}, eprinttype = {arXiv}",
        "publisher = {arXiv}, number = {1706.03762}",
        "arxivId = {1706.03762}",
    ],
)
def test_bibtex_arxiv_id_found_wherever_exports_put_it(fields: str):
    assert bib(f"@misc{{k, title = {{T}}, {fields}}}").arxiv_id == "1706.03762"


def test_eprint_of_another_archive_is_not_an_arxiv_id():
    entry = bib("@article{k, title = {T}, eprint = {1706.03762}, eprinttype = {jstor}, year = {2017}}")
    assert entry.arxiv_id is None


def test_old_style_id_and_doi_wrapping():
    entry = bib(
        "@article{k, title = {T}, eprint = {hep-th/9901001}, doi = {https://doi.org/10.1103/PhysRevD.1}}"
    )
    assert (entry.arxiv_id, entry.doi) == ("hep-th/9901001", "10.1103/physrevd.1")


def test_latex_in_titles_abstracts_and_names_becomes_plain_text():
    entry = bib(
        r"""@article{k,
          title = {{G{\"{o}}del} \& {Escher}: the $\alpha$-{Loop} in   \texttt{x\_y} and $O(n^2)$ time},
          abstract = {Improves accuracy by 5% and 3\% over {BERT}~baselines.},
          author = {Schr{\"o}dinger, Erwin and {\v{S}}koda, Anna and {Google Research} and others},
        }"""
    )
    assert entry.title == "Gödel & Escher: the α-Loop in x_y and O(n^2) time"
    assert entry.abstract == "Improves accuracy by 5% and 3% over BERT baselines."
    assert entry.authors == ("Erwin Schrödinger", "Anna Škoda", "Google Research")


def test_control_characters_and_nuls_are_stripped():
    entry = bib("@misc{k, title = {Atten\x00tion\x07 Is All\x1b You Need}, eprint = {1706.03762}}")
    assert entry.title == ATTENTION


def test_duplicate_keys_and_fields_are_kept_for_the_caller_to_dedupe():
    parsed = parse_library(
        "@misc{a, title = {One}, url = {http://arxiv.org/abs/1706.03762}, url = {x}}\n"
        "@misc{b, title = {Two}}\n@misc{b, title = {Two again}}\n"
    )
    assert [(e.position, e.title) for e in parsed.entries] == [(1, "One"), (2, "Two"), (3, "Two again")]
    assert parsed.entries[0].arxiv_id == "1706.03762" and parsed.rejected == []


def test_entry_with_no_title_and_no_id_is_rejected():
    parsed = parse_library(
        "@misc{untitled, author = {Doe, Jane}, year = {2020}}\n@misc{ok, doi = {10.1038/nature14539}}"
    )
    assert [e.key for e in parsed.entries] == ["ok"]
    assert [(r.position, r.label, r.reason) for r in parsed.rejected] == [
        (1, "untitled", "no title, arXiv id or DOI")
    ]


def test_bibdesk_and_jabref_timestamps_are_aware_utc():
    bibdesk = bib("@misc{k, title = {T}, date-added = {2024-01-05 10:11:12 +0100}}")
    jabref = bib("@misc{k, title = {T}, timestamp = {2024.01.05}}")
    assert bibdesk.added_at == datetime(2024, 1, 5, 9, 11, 12, tzinfo=UTC)
    assert jabref.added_at == datetime(2024, 1, 5, tzinfo=UTC)


def test_ris_record_without_end_or_type_is_rejected_and_the_rest_parse():
    text = (
        "TY  - JOUR\nTI  - First\nID  - first\nER  - \n"
        "TY  - JOUR\nTI  - Never ended\nID  - unended\n"
        "TY  - GEN\nTI  - Third\nUR  - https://arxiv.org/abs/2006.11239v2\nER  - \n"
        "TI  - Typeless\nAU  - Doe, Jane\nER  - \n"
        "TY  - JOUR\nTI  - Cut off at the end\n"
    )
    parsed = parse_library(text)
    assert [(e.position, e.title, e.arxiv_id) for e in parsed.entries] == [
        (1, "First", None),
        (3, "Third", "2006.11239"),
    ]
    assert [(r.position, r.label, r.reason) for r in parsed.rejected] == [
        (2, "unended", "not valid RIS: the record has no end (ER) line"),
        (4, "Typeless", "not valid RIS: the record has no type (TY) line"),
        (5, "Cut off at the end", "not valid RIS: the record has no end (ER) line"),
    ]


def test_csl_json_must_be_a_list():
    with pytest.raises(LibraryFormatError, match="must be a list of items.*this file holds an object"):
        parse_library('{"title": "Attention Is All You Need"}')
    with pytest.raises(LibraryFormatError, match="not valid JSON"):
        parse_library('[{"title": "Attention Is All You Need",]')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("% exported by JabRef\n@Article{k, title = {T}}", "bibtex"),
        ("\ufeffTY  - JOUR\r\nTI  - T\r\nER  - \r\n", "ris"),
        ('  [{"id": "a", "title": "T"}]', "csl-json"),
        ("https://arxiv.org/abs/1706.03762\n", "ids"),
        ("Some preamble\n\n@misc{k, title = {TY  - looks like RIS}}", "bibtex"),
    ],
)
def test_format_is_detected_from_the_content(text: str, expected: str):
    assert parse_library(text.encode()).format == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"  \n\t\n", "the file is empty"),
        ("@article{k, title = {Gödel}}".encode("latin-1"), "not UTF-8 text .*export it again with UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "is a PDF"),
        (bytes(range(1, 32)) * 10, "looks binary"),
        (b"Dear reader,\nhere are some papers I liked.\n", "not a reference library export"),
        (b"@comment{jabref-meta: databaseType:bibtex;}\n", "looks like BibTeX but holds no entries"),
        (b"[]", "looks like CSL-JSON but holds no entries"),
    ],
)
def test_unreadable_files_raise_one_clear_sentence(data: bytes, message: str):
    with pytest.raises(LibraryFormatError, match=message):
        parse_library(data)


def test_utf16_with_bom_is_read():
    parsed = parse_library("@misc{k, title = {Gödel}}".encode("utf-16"))
    assert parsed.entries[0].title == "Gödel"


@pytest.mark.parametrize(
    "variant",
    [
        "Gödel & Escher: Strange Loops",
        '{G{\\"{o}}del} \\& {Escher}: {Strange} {Loops}',
        "GODEL & ESCHER -- strange loops.",
        "  Go\u0308del, Escher; “Strange”   Loops ",
    ],
)
def test_title_key_ignores_accents_case_punctuation_and_latex(variant: str):
    assert title_key(variant) == "godel escher strange loops"


def test_title_key_joins_words_with_single_spaces():
    assert title_key("Attention Is All You Need") == title_key("attention is all  you need!")
    assert title_key("$\\alpha$-Fold: {Straße}  Models") == "fold strasse models"

"""Library import into the database, on both backends: real-format exports of Zotero, Mendeley and
Paperpile matched to stored papers by arXiv id, DOI and title; the rest kept; a re-import changes nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from paperfeed.domain.paper import Paper
from paperfeed.ingest.library import LibraryFormatError
from paperfeed.services import accounts
from paperfeed.services.interests import reset_interests
from paperfeed.services.library import count_library, import_library, library_items, relink_library
from paperfeed.store import Database
from paperfeed.store.models import LibraryItemRow
from paperfeed.store.papers import upsert_papers

LIBRARY = Path(__file__).parent / "fixtures" / "library"
ATTENTION, BERT, DDPM = "1706.03762", "1810.04805", "2006.11239"
DEEP_LEARNING, GODEL = "2501.00001", "2501.00002"  # stored under arXiv ids, found by DOI and by title


def _store_papers(db: Database) -> None:
    with db.session() as session:
        upsert_papers(
            session,
            [
                Paper(id=ATTENTION, title="Attention Is All You Need", published=date(2017, 6, 12)),
                Paper(
                    id=BERT,
                    title="BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
                    published=date(2018, 10, 11),
                ),
                Paper(id=DEEP_LEARNING, title="Deep learning", doi="10.1038/NATURE14539"),
                Paper(id=GODEL, title="Gödel and Escher — strange loops in formal systems!"),
            ],
        )


# file → ({matched paper id: how}, kept unmatched, rejected)
EXPECTED = {
    "zotero.bib": ({ATTENTION: "arxiv", DEEP_LEARNING: "doi"}, 1, 0),
    "zotero-betterbibtex.bib": ({BERT: "arxiv", DEEP_LEARNING: "doi"}, 1, 0),
    "mendeley.bib": ({ATTENTION: "arxiv", BERT: "arxiv"}, 1, 0),  # "Gödel … and" ≠ "Gödel & …"
    "paperpile.bib": ({ATTENTION: "arxiv", BERT: "arxiv", DEEP_LEARNING: "doi"}, 1, 0),
    "zotero.ris": ({ATTENTION: "arxiv", DEEP_LEARNING: "doi"}, 1, 0),
    "mendeley.ris": ({ATTENTION: "arxiv", BERT: "arxiv"}, 1, 0),
    "zotero-csl.json": ({BERT: "arxiv", DEEP_LEARNING: "doi"}, 1, 1),
    "ids.txt": ({ATTENTION: "arxiv", BERT: "arxiv"}, 2, 1),
    "broken.bib": ({DEEP_LEARNING: "doi"}, 1, 1),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exports_match_by_id_doi_and_title_and_a_reimport_changes_nothing(db: Database, name: str) -> None:
    _store_papers(db)
    reader = accounts.sign_up(db, "reader", "a long enough password")
    matched, unmatched, rejected = EXPECTED[name]
    data = (LIBRARY / name).read_bytes()

    report = import_library(db, reader.id, data)

    assert (report.unmatched, len(report.rejected), report.unchanged) == (unmatched, rejected, 0)
    with db.sessions() as session:
        linked = dict(
            session.execute(
                sa.select(LibraryItemRow.paper_id, LibraryItemRow.matched_by).where(
                    LibraryItemRow.paper_id.is_not(None)
                )
            ).all()
        )
    assert linked == matched
    assert report.matched_total == len(matched)
    again = import_library(db, reader.id, data)
    assert (again.matched_total, again.unmatched, again.unchanged) == (0, 0, len(matched) + unmatched)
    assert count_library(db, reader.id) == len(matched) + unmatched


def test_a_title_differing_only_in_latex_accents_case_and_punctuation_matches(db: Database) -> None:
    _store_papers(db)
    with db.session() as session:
        title = "Gödel & Escher: Strange Loops in Formal Systems"
        upsert_papers(session, [Paper(id="2501.00003", title=title)])
    reader = accounts.sign_up(db, "reader", "a long enough password")
    report = import_library(db, reader.id, (LIBRARY / "mendeley.bib").read_bytes())
    assert report.matched == {"arxiv": 2, "doi": 0, "title": 1}
    assert {i.paper_id for i in library_items(db, reader.id)} == {ATTENTION, BERT, "2501.00003"}


def test_an_entry_known_only_by_id_is_linked_once_the_paper_arrives(db: Database) -> None:
    reader = accounts.sign_up(db, "reader", "a long enough password")
    import_library(db, reader.id, b"2006.11239\n")
    assert [i.paper_id for i in library_items(db, reader.id)] == [None]
    with db.session() as session:
        upsert_papers(session, [Paper(id=DDPM, title="Denoising Diffusion Probabilistic Models")])
    assert relink_library(db) == 1
    [item] = library_items(db, reader.id)
    assert (item.paper_id, item.matched_by) == (DDPM, "arxiv")
    assert item.title == "Denoising Diffusion Probabilistic Models"


def test_libraries_are_per_reader_and_reset_empties_only_ones_own(db: Database) -> None:
    _store_papers(db)
    first = accounts.sign_up(db, "first", "a long enough password")
    second = accounts.sign_up(db, "second", "a long enough password")
    data = (LIBRARY / "paperpile.bib").read_bytes()
    import_library(db, first.id, data)
    assert import_library(db, second.id, data).unchanged == 0
    assert reset_interests(db, first.id, ("library",)) == {"library": 4}
    assert (count_library(db, first.id), count_library(db, second.id)) == (0, 4)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"just some words that are no library", "not a reference library export"),
    ],
)
def test_an_unreadable_file_is_one_clear_error_and_stores_nothing(
    sqlite_db: Database, data: bytes, message: str
) -> None:
    reader = accounts.sign_up(sqlite_db, "reader", "a long enough password")
    with pytest.raises(LibraryFormatError, match=message):
        import_library(sqlite_db, reader.id, data)
    assert count_library(sqlite_db, reader.id) == 0

"""What signed-in pages keep between views (issue #13): the reader's marks on a page's cards and their signal
fingerprint. Kept values must never reach another reader, and a vote, a save or a rating — made here or
through another node — shows on the very next page. On SQLite and PostgreSQL (the ``db`` fixture)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from paperfeed.services import accounts, collections, community, interests
from paperfeed.services.reader_signals import reader_signals
from paperfeed.store import Database
from tests.support.live_server import add_paper, csrf_of, sign_up, test_app

JUL1 = date(2026, 7, 1)
NOON = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
PAPERS = [f"2607.0000{n}" for n in range(1, 5)]
PASSWORD = "a long enough password"


@pytest.fixture
def app(db: Database, tmp_path: Path) -> FastAPI:
    for n, paper_id in enumerate(PAPERS, start=1):
        add_paper(db, paper_id, f"Paper number {n}", JUL1)
    return test_app(db, tmp_path, now=NOON)


@pytest.fixture
def reader(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        sign_up(client, "ann")
        yield client


def _card(html: str, paper_id: str) -> str:
    pattern = rf'<article class="card"[^>]*data-paper="{re.escape(paper_id)}".*?</article>'
    match = re.search(pattern, html, re.S)
    assert match, f"no card for {paper_id}"
    return match.group(0)


def _state(client: TestClient, paper_id: str) -> dict[str, object]:
    """What the reader's next ``/`` shows of their own marks on one paper."""
    card = _card(client.get("/").text, paper_id)
    saved_in = re.search(r'data-saved-in="([^"]*)"', card)
    assert saved_in
    like = re.search(r'<button[^>]*class="rate-button like"[^>]*>', card, re.S)
    assert like
    return {
        "voted": f'action="/papers/{paper_id}/unvote"' in card,
        "saved_in": saved_in.group(1),
        "liked": 'aria-pressed="true"' in like.group(0),
    }


def _post(client: TestClient, path: str, **form: str) -> bool:
    """A press of a card's button, as vote.js and rate.js send it."""
    headers = {"Accept": "application/json", "X-CSRF-Token": csrf_of(client, "/")}
    return client.post(path, data=form, headers=headers).is_success


def test_a_vote_a_save_and_a_rating_show_on_the_next_page(reader: TestClient) -> None:
    paper = PAPERS[1]
    unmarked = {"voted": False, "saved_in": "", "liked": False}
    assert _state(reader, paper) == unmarked
    assert _state(reader, paper) == unmarked  # the kept marks, as they were

    assert _post(reader, f"/papers/{paper}/upvote")
    assert _state(reader, paper) == {**unmarked, "voted": True}
    assert _post(reader, f"/papers/{paper}/save", collection="saved")
    assert _state(reader, paper) == {**unmarked, "voted": True, "saved_in": "saved"}
    assert _post(reader, f"/papers/{paper}/save-new", name="Group")
    assert _state(reader, paper)["saved_in"] == "group saved"
    # ratings are no part of the data version: the reader's signal fingerprint carries them
    assert _post(reader, f"/papers/{paper}/rate", value="1")
    assert _state(reader, paper)["liked"] is True
    assert _post(reader, f"/papers/{paper}/unrate")
    assert _state(reader, paper)["liked"] is False
    assert _post(reader, f"/papers/{paper}/unvote")
    assert _state(reader, paper)["voted"] is False


def test_marks_written_by_another_node_show_at_once(reader: TestClient, db: Database) -> None:
    """Another process writes to the database: nothing here was told, the next page still shows it."""
    user = accounts.log_in(db, "ann", PASSWORD)
    paper = PAPERS[2]
    assert _state(reader, paper) == {"voted": False, "saved_in": "", "liked": False}
    interests.rate(db, user.id, paper, 1)
    assert _state(reader, paper)["liked"] is True
    interests.rate(db, user.id, paper, -1)  # the same row, its value flipped
    assert _state(reader, PAPERS[0])["liked"] is False
    assert paper not in reader.get("/").text  # 👎: left out of the reader's order
    interests.unrate(db, user.id, paper)
    community.upvote(db, user.id, paper)
    collections.save_paper(db, user.id, paper)
    assert _state(reader, paper) == {"voted": True, "saved_in": "saved", "liked": False}


def test_one_readers_page_never_shows_another_readers_marks(app: FastAPI, db: Database) -> None:
    paper = PAPERS[0]
    with TestClient(app) as ann, TestClient(app) as bob:
        sign_up(ann, "ann")
        sign_up(bob, "bob")
        for client in (ann, bob, ann, bob):  # both readers' views of the same papers kept side by side
            client.get("/")
        # no signals yet for either (equal fingerprints): only the reader's own id keeps her menu hers
        collections.create_collection(db, accounts.log_in(db, "ann", PASSWORD).id, "Ann's first")
        assert "Ann&#39;s first" in ann.get("/").text
        assert "Ann&#39;s first" not in bob.get("/").text
        assert _post(ann, f"/papers/{paper}/upvote")
        assert _post(ann, f"/papers/{paper}/save", collection="saved")
        assert _post(ann, f"/papers/{paper}/rate", value="1")
        assert _post(ann, f"/papers/{paper}/save-new", name="Ann's own")
        for _ in range(2):
            assert _state(ann, paper) == {"voted": True, "saved_in": "ann-s-own saved", "liked": True}
            assert _state(bob, paper) == {"voted": False, "saved_in": "", "liked": False}
            bob_page = bob.get("/").text
            assert "Ann&#39;s own" not in bob_page and "ann-s-own" not in bob_page  # her collection's name
            assert csrf_of(ann, "/") not in bob_page  # and her session's token
            assert ">bob</a>" in bob_page and ">ann</a>" not in bob_page


def test_the_fingerprint_moves_with_every_kind_of_signal(app: FastAPI, db: Database) -> None:
    user = accounts.sign_up(db, "cleo", PASSWORD)
    seen = [reader_signals(db, user.id)]
    assert not seen[0].any

    def moved() -> None:
        now = reader_signals(db, user.id)
        assert now != seen[-1] and now.any
        seen.append(now)

    community.upvote(db, user.id, PAPERS[0])
    moved()
    community.remove_upvote(db, user.id, PAPERS[0])
    community.upvote(db, user.id, PAPERS[1])  # as many votes as before, another paper
    moved()
    interests.rate(db, user.id, PAPERS[2], 1)
    moved()
    interests.rate(db, user.id, PAPERS[2], -1)
    moved()
    interests.follow(db, user.id, "author", "Ada Lovelace")
    moved()
    collections.save_paper(db, user.id, PAPERS[3])
    moved()
    collections.unsave_paper(db, user.id, PAPERS[3])
    moved()
    assert seen[-1] == seen[-3]  # the same signals as before the save: what was kept for them still holds


def test_a_cards_kept_part_follows_its_paper(reader: TestClient, db: Database) -> None:
    """A card's title, abstract and counts are rendered once and kept (web/fragments.py), under the paper
    itself: an edited paper or a new comment shows on the next page, for every reader."""
    paper = PAPERS[3]
    assert "Paper number 4" in _card(reader.get("/").text, paper)
    add_paper(db, paper, "Paper number 4, revised", JUL1, abstract="A new abstract.")
    card = _card(reader.get("/").text, paper)
    assert "Paper number 4, revised" in card and "A new abstract." in card
    assert "💬" not in card
    community.add_comment(db, accounts.log_in(db, "ann", PASSWORD).id, paper, "A first comment")
    assert "💬 1" in _card(reader.get("/").text, paper)
    with TestClient(reader.app) as visitor:  # the same kept part, for an anonymous visitor too
        assert "💬 1" in _card(visitor.get("/").text, paper)

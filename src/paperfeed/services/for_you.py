"""For you: gathers a reader's signals from the database and ranks any list of papers with them.

Every place that shows a personal order — the "For you" sort of the day/week/month pages, ``/for-you``, the
personal feed, ``GET /api/for-you``, ``paperfeed recommend`` and the digest's personal picks — calls
:func:`rank_for_reader`, so they all agree. The model itself is ``rank/personal.py``.

Signals, strongest first when one paper has several: 👍/👎 (explicit, and the latest word), upvote, save,
library entry. A 👎 paper is hidden from the reader's personal orders; papers they already upvoted, saved or
liked stay, marked, so the page still shows the whole listing.

The ranking is rebuilt from the signals each time (tens of milliseconds) rather than kept as state, so a
rating shows on the next page on every node at once. A small per-process cache keyed by a fingerprint of the
reader's signals (``services/reader_signals``) saves the work when nothing changed (paging through a month).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.domain.paper import Paper
from paperfeed.embed import current_model_key, document_text
from paperfeed.rank.personal import (
    BACKGROUND_NEGATIVES,
    Candidate,
    Interests,
    Ranked,
    Signal,
    rank_candidates,
)
from paperfeed.services.reader_signals import reader_signals
from paperfeed.store import Database
from paperfeed.store.models import (
    CollectionItemRow,
    CollectionRow,
    FollowRow,
    LibraryItemRow,
    RatingRow,
    VoteRow,
)
from paperfeed.store.papers import get_papers
from paperfeed.store.vectors import sample_vectors, vectors_for

MAX_SIGNALS = 2000  # most recent positives used; a 10,000-entry library still ranks in well under a second
SOURCE_STRENGTH = {"like": 4, "dislike": 4, "upvote": 3, "save": 2, "library": 1}
BACKGROUND_TTL_S = 3600.0  # the sampled negatives are shared by every reader and refreshed hourly
_CACHE_SIZE = 256


@dataclass(frozen=True, slots=True)
class ReaderRanking:
    """A reader's order of some papers: ``ranked`` best first, 👎 papers left out (``hidden``)."""

    ranked: list[Ranked]
    hidden: set[str]
    personal: bool  # False when the reader has told us nothing yet (the caller keeps its own order)
    known: dict[str, str]  # paper id → "upvote" | "save" | "like" | "library": what the reader marked


def rank_for_reader(
    db: Database,
    user_id: int,
    paper_ids: Sequence[str],
    *,
    now: datetime | None = None,
) -> ReaderRanking:
    """Rank ``paper_ids`` (in their given order on ties, e.g. a listing's) for the reader."""
    now = now or datetime.now(UTC)
    ids = list(dict.fromkeys(paper_ids))
    key = (db.url, user_id, reader_signals(db, user_id).fingerprint, hash(tuple(ids)), now.date())
    cached = _cache_get(key)
    if cached is not None:
        return cached
    interests, hidden, known = load_interests(db, user_id, now=now)
    visible = [pid for pid in ids if pid not in hidden]
    with db.sessions() as session:
        candidates = _candidates(session, visible)
    ranked = rank_candidates(interests, candidates, now=now)
    ranked = [_explained(r, known.get(r.id), interests.is_empty) for r in ranked]
    # What the reader already marked goes after what they have not seen: the question is what to read next.
    ranked = [r for r in ranked if r.id not in known] + [r for r in ranked if r.id in known]
    result = ReaderRanking(ranked, hidden & set(ids), not interests.is_empty, known)
    _cache_put(key, result)
    return result


def load_interests(
    db: Database,
    user_id: int,
    *,
    now: datetime | None = None,
) -> tuple[Interests, set[str], dict[str, str]]:
    """The reader's :class:`Interests`, the papers they dismissed (👎) and those they marked already."""
    now = now or datetime.now(UTC)
    model = current_model_key()
    with db.sessions() as session:
        marks = _marks(session, user_id)
        library = session.execute(
            sa.select(
                LibraryItemRow.paper_id,
                LibraryItemRow.title,
                LibraryItemRow.abstract,
                LibraryItemRow.authors,
                LibraryItemRow.vector,
                LibraryItemRow.vector_model,
                LibraryItemRow.added_at,
                LibraryItemRow.id,
            )
            .where(LibraryItemRow.user_id == user_id)
            .order_by(LibraryItemRow.added_at.desc())
            .limit(MAX_SIGNALS)
        ).all()
        for row in library:
            if row.paper_id is not None:
                _mark(marks, row.paper_id, "library", row.added_at)
        follows = session.execute(
            sa.select(FollowRow.kind, FollowRow.value).where(FollowRow.user_id == user_id)
        ).all()
        ordered = sorted(marks.items(), key=lambda item: item[1][1], reverse=True)[:MAX_SIGNALS]
        paper_ids = [pid for pid, _ in ordered]
        papers = get_papers(session, paper_ids)
        vectors = vectors_for(session, model, paper_ids)
        background = _background(session, model, exclude=set(paper_ids))
    signals = [
        _paper_signal(papers[pid], vectors.get(pid), source, at)
        for pid, (source, at) in ordered
        if pid in papers
    ]
    signals += [
        Signal(
            ref=f"library:{row.id}",
            title=row.title,
            text=document_text(row.title, row.abstract),
            vector=_own_vector(row.vector, row.vector_model, model),
            authors=tuple(row.authors or ()),
            source="library",
            at=row.added_at,
        )
        for row in library
        if row.paper_id is None
    ]
    interests = Interests(
        signals=signals,
        followed_authors={v for k, v in follows if k == "author"},
        followed_categories={v for k, v in follows if k == "category"},
        keywords=[v for k, v in follows if k == "keyword"],
        background=background[0],
        background_texts=background[1],
    )
    hidden = {pid for pid, (source, _) in marks.items() if source == "dislike"}
    known = {pid: source for pid, (source, _) in marks.items() if source != "dislike"}
    return interests, hidden, known


def _marks(session: Session, user_id: int) -> dict[str, tuple[str, datetime]]:
    """paper id → (strongest source, latest time) over votes, saves and ratings."""
    marks: dict[str, tuple[str, datetime]] = {}
    for pid, at in session.execute(
        sa.select(VoteRow.paper_id, VoteRow.created_at).where(VoteRow.user_id == user_id)
    ):
        _mark(marks, pid, "upvote", at)
    saves = (
        sa.select(CollectionItemRow.paper_id, CollectionItemRow.added_at)
        .join(CollectionRow, CollectionRow.id == CollectionItemRow.collection_id)
        .where(CollectionRow.user_id == user_id)
    )
    for pid, at in session.execute(saves):
        _mark(marks, pid, "save", at)
    for pid, value, at in session.execute(
        sa.select(RatingRow.paper_id, RatingRow.value, RatingRow.created_at).where(
            RatingRow.user_id == user_id
        )
    ):
        _mark(marks, pid, "like" if value > 0 else "dislike", at)
    return marks


def _mark(marks: dict[str, tuple[str, datetime]], paper_id: str, source: str, at: datetime) -> None:
    previous = marks.get(paper_id)
    if previous is None:
        marks[paper_id] = (source, at)
        return
    stronger = source if SOURCE_STRENGTH[source] > SOURCE_STRENGTH[previous[0]] else previous[0]
    marks[paper_id] = (stronger, max(at, previous[1]))


def _paper_signal(paper: Paper, vector: np.ndarray | None, source: str, at: datetime) -> Signal:
    return Signal(
        ref=paper.id,
        title=paper.title,
        text=document_text(paper.title, paper.abstract),
        vector=vector,
        authors=paper.authors,
        categories=paper.categories,
        positive=source != "dislike",
        source=source,
        at=at,
    )


def _own_vector(blob: bytes | None, vector_model: str | None, model: str) -> np.ndarray | None:
    if blob is None or vector_model != model:
        return None
    return np.frombuffer(blob, dtype=np.float32).copy()


def _candidates(session: Session, paper_ids: list[str]) -> list[Candidate]:
    papers = get_papers(session, paper_ids)
    vectors = vectors_for(session, current_model_key(), paper_ids)
    return [
        Candidate(
            id=pid,
            title=papers[pid].title,
            text=document_text(papers[pid].title, papers[pid].abstract),
            vector=vectors.get(pid),
            authors=papers[pid].authors,
            categories=papers[pid].categories,
        )
        for pid in paper_ids
        if pid in papers
    ]


KNOWN_REASONS = {
    "upvote": "You upvoted this",
    "save": "You saved this",
    "like": "You liked this",
    "library": "In your library",
}


def _explained(ranked: Ranked, mark: str | None, cold: bool) -> Ranked:
    """Every card of a personal order says why it is there; a paper the reader marked says so first."""
    if mark is not None:
        return Ranked(ranked.id, ranked.score, (KNOWN_REASONS[mark], *ranked.reasons[:1]))
    if ranked.reasons or cold:
        return ranked
    reason = "Close to what you read" if ranked.score > 0 else "Further from what you usually read"
    return Ranked(ranked.id, ranked.score, (reason,))


# --- shared negatives: papers nobody in particular chose, sampled once an hour per process ----------------
_background_lock = threading.Lock()
_background_cache: dict[str, tuple[float, list[str], np.ndarray | None, list[str]]] = {}


def _background(session: Session, model: str, *, exclude: set[str]) -> tuple[np.ndarray | None, list[str]]:
    url = str(session.get_bind().engine.url)
    with _background_lock:
        cached = _background_cache.get(url)
    if cached is None or time.monotonic() - cached[0] > BACKGROUND_TTL_S or cached[2] is None:
        sampled = sample_vectors(session, model, BACKGROUND_NEGATIVES, seed=int(time.time()) // 3600)
        papers = get_papers(session, list(sampled))
        ids = [pid for pid in sampled if pid in papers]
        matrix = np.stack([sampled[pid] for pid in ids]) if ids else None
        texts = [document_text(papers[pid].title, papers[pid].abstract) for pid in ids]
        cached = (time.monotonic(), ids, matrix, texts)
        with _background_lock:
            _background_cache[url] = cached
    _, ids, matrix, texts = cached
    if matrix is None:
        return None, []
    keep = [i for i, pid in enumerate(ids) if pid not in exclude]
    return matrix[keep], [texts[i] for i in keep]


# --- per-process cache of finished rankings ------------------------------------------------------------
_cache_lock = threading.Lock()
_cache: OrderedDict[tuple, ReaderRanking] = OrderedDict()


def _cache_get(key: tuple) -> ReaderRanking | None:
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
        return found


def _cache_put(key: tuple, value: ReaderRanking) -> None:
    with _cache_lock:
        _cache[key] = value
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)

"""Vote tallies for the papers featured in a date range: the raw material of every listing's order.

The count a reader sees is local votes (``papers.upvotes``, kept in step with the votes table) plus the
upvotes the paper's feed entries brought from outside (Hugging Face). Tallies are light tuples, so a
whole month can be sorted in Python (portable across SQLite and PostgreSQL) and only one page of full
papers is then loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.domain.feed import FeedEntry, FeedSource
from paperfeed.store.models import CommentRow, FeedEntryRow, PaperRow

PaperIds = Iterable[str] | sa.Select[str]  # a list of paper ids, or a SELECT of them (used in ``IN``)


@dataclass(frozen=True, slots=True)
class Tally:
    """One paper on a listing: the entry that put it there first, its vote total and comment count."""

    entry: FeedEntry
    upvotes: int
    num_comments: int
    entry_order: int

    @property
    def paper_id(self) -> str:
        return self.entry.paper_id


def tally_period(session: Session, first: date, last: date) -> list[Tally]:
    """Every paper featured from ``first`` to ``last`` once (its earliest entry in the range).

    Plain column tuples, not ORM objects: a busy month holds thousands of entries and this runs on every
    page view.
    """
    rows = session.execute(
        sa.select(
            FeedEntryRow.id,
            FeedEntryRow.paper_id,
            FeedEntryRow.featured_on,
            FeedEntryRow.source,
            FeedEntryRow.submitted_by,
            FeedEntryRow.external_upvotes,
            FeedEntryRow.num_comments,
        )
        .where(FeedEntryRow.featured_on.between(first, last))
        .order_by(FeedEntryRow.featured_on, FeedEntryRow.id)
    ).all()
    earliest: dict[str, sa.Row] = {}
    for row in rows:
        earliest.setdefault(row.paper_id, row)
    if not earliest:
        return []
    in_range = sa.select(FeedEntryRow.paper_id).where(FeedEntryRow.featured_on.between(first, last))
    totals = _totals(session, in_range)
    comments = _comment_counts(session, in_range)
    return [
        Tally(
            entry=FeedEntry(
                paper_id,
                row.featured_on,
                FeedSource(row.source),
                row.submitted_by,
                row.external_upvotes,
                row.num_comments,
            ),
            upvotes=totals.get(paper_id, (0, 0))[0],
            num_comments=totals.get(paper_id, (0, 0))[1] + comments.get(paper_id, 0),
            entry_order=row.id,
        )
        for paper_id, row in earliest.items()
    ]


MIN_VOTES_TO_RANK = 2  # in a week or a month: below this, votes do not lift a paper (see rank_by_votes)


def tie_break(tally: Tally) -> tuple[int, int, str]:
    """The order among papers a ranking cannot tell apart: more comments first (a discussion is a signal
    too), then the newest day first (a week should open on its latest papers, not its Monday), then
    arXiv id order (the announcement order of a day's papers) — never the order they happened to be
    loaded in."""
    return (-tally.num_comments, -tally.entry.featured_on.toordinal(), tally.paper_id)


def rank_by_votes(tallies: list[Tally], *, min_votes: int = 1) -> list[Tally]:
    """Most upvoted first; papers with fewer than ``min_votes`` votes rank as if they had none.

    A day's page takes every vote (``min_votes=1``): fifty papers, the reader sees them all. A week or a
    month holds hundreds to thousands of papers and, on a small instance, a handful of votes: one vote
    there is one reader's click, and ranking by it put a single-vote paper above a whole month. So the
    longer listings ask for ``MIN_VOTES_TO_RANK`` (two readers agreeing) before votes count; a plain
    prior (Bayesian average) would not help here, since every paper has the same number of "trials" (we
    do not know who saw what), so any shrinkage toward a mean keeps 1 > 0. The count shown on the card is
    still the real one.
    """

    def counted(tally: Tally) -> int:
        return tally.upvotes if tally.upvotes >= min_votes else 0

    return sorted(tallies, key=lambda t: (-counted(t), *tie_break(t)))


def paper_totals(session: Session, paper_ids: list[str]) -> dict[str, tuple[int, int]]:
    """(upvotes shown, comments shown) for a handful of papers, e.g. search hits."""
    if not paper_ids:
        return {}
    totals = _totals(session, paper_ids)
    comments = _comment_counts(session, paper_ids)
    return {
        pid: (totals.get(pid, (0, 0))[0], totals.get(pid, (0, 0))[1] + comments.get(pid, 0))
        for pid in paper_ids
    }


def _totals(session: Session, ids: PaperIds) -> dict[str, tuple[int, int]]:
    # Hugging Face reports a paper's running totals, so two HF entries of one paper (an old dump and a
    # fresh one) carry the same votes twice: the largest is the count, not the sum.
    external = (
        sa.select(
            FeedEntryRow.paper_id.label("paper_id"),
            sa.func.max(FeedEntryRow.external_upvotes).label("ext"),
            sa.func.max(FeedEntryRow.num_comments).label("ext_comments"),
        )
        .where(FeedEntryRow.paper_id.in_(ids))
        .group_by(FeedEntryRow.paper_id)
        .subquery()
    )
    query = (
        sa.select(
            PaperRow.id,
            PaperRow.upvotes + sa.func.coalesce(external.c.ext, 0),
            sa.func.coalesce(external.c.ext_comments, 0),
        )
        .outerjoin(external, external.c.paper_id == PaperRow.id)
        .where(PaperRow.id.in_(ids))
    )
    return {pid: (int(votes or 0), int(extc or 0)) for pid, votes, extc in session.execute(query)}


def _comment_counts(session: Session, ids: PaperIds) -> dict[str, int]:
    query = (
        sa.select(CommentRow.paper_id, sa.func.count())
        .where(CommentRow.paper_id.in_(ids))
        .group_by(CommentRow.paper_id)
    )
    return {pid: int(n) for pid, n in session.execute(query)}

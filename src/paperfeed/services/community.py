"""Community: upvotes and comments.

Upvotes are safe under concurrency on both backends: the vote row is inserted with ``ON CONFLICT DO
NOTHING`` against the (user, paper) unique constraint, and ``papers.upvotes`` is incremented in the same
transaction *only* when that insert really added a row. Writing first also matters on SQLite: the
transaction takes the write lock at its first statement (waiting on ``busy_timeout``) instead of
upgrading a read snapshot, which SQLite would refuse under contention.

Comments are stored as the author wrote them and rendered on the way out: markdown-it with raw HTML
disabled, then nh3 (an allow-list HTML sanitiser) as a second fence, so no markup a reader did not expect
reaches the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import nh3
import sqlalchemy as sa
from markdown_it import MarkdownIt
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperfeed.rank.tally import paper_totals
from paperfeed.store import Database
from paperfeed.store.models import CommentRow, PaperRow, UserRow, VoteRow

MAX_COMMENT = 10_000
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
                 "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td"}


class UnknownPaper(LookupError):
    def __init__(self, paper_id: str) -> None:
        super().__init__(f"No paper with arXiv id {paper_id!r} is stored here.")
        self.paper_id = paper_id


class CommentError(ValueError):
    """A comment that cannot be posted (empty or too long); the message says which."""


@dataclass(frozen=True, slots=True)
class VoteResult:
    paper_id: str
    upvotes: int  # the total a reader sees: local + external
    voted: bool  # whether this user's vote is now counted
    changed: bool  # False for an idempotent repeat


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    paper_id: str
    username: str
    body: str
    html: str
    created_at: datetime


def upvote(db: Database, user_id: int, paper_id: str) -> VoteResult:
    """Count ``user_id``'s vote for ``paper_id`` once; repeating it changes nothing."""
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    statement = (
        insert(VoteRow)
        .values(user_id=user_id, paper_id=paper_id, created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["user_id", "paper_id"])
        .returning(VoteRow.id)  # rowcount is unreliable for ORM inserts on some drivers; RETURNING is not
    )
    try:
        with db.session() as session:
            added = session.execute(statement).first() is not None
            if added:
                _bump(session, paper_id, +1)
    except IntegrityError:  # the foreign key: no such paper (or user)
        raise UnknownPaper(paper_id) from None
    return _result(db, paper_id, voted=True, changed=added)


def remove_upvote(db: Database, user_id: int, paper_id: str) -> VoteResult:
    """Take ``user_id``'s vote back; a no-op if there was none."""
    with db.session() as session:
        removed = session.execute(
            sa.delete(VoteRow)
            .where(VoteRow.user_id == user_id, VoteRow.paper_id == paper_id)
            .returning(VoteRow.id)
        ).first() is not None
        if removed:
            _bump(session, paper_id, -1)
    return _result(db, paper_id, voted=False, changed=removed)


def voted_papers(db: Database, user_id: int, paper_ids: list[str]) -> set[str]:
    """Which of ``paper_ids`` the user has upvoted, to draw their buttons pressed."""
    if not paper_ids:
        return set()
    with db.sessions() as session:
        return set(session.scalars(
            sa.select(VoteRow.paper_id).where(VoteRow.user_id == user_id, VoteRow.paper_id.in_(paper_ids))
        ))


def add_comment(db: Database, user_id: int, paper_id: str, body: str) -> Comment:
    text = body.strip()
    if not text:
        raise CommentError("The comment is empty; write something first.")
    if len(text) > MAX_COMMENT:
        raise CommentError(f"The comment is {len(text):,} characters; the limit is {MAX_COMMENT:,}.")
    with db.session() as session:
        if session.get(PaperRow, paper_id) is None:
            raise UnknownPaper(paper_id)
        row = CommentRow(paper_id=paper_id, user_id=user_id, body=text, created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        username = session.scalar(sa.select(UserRow.username).where(UserRow.id == user_id)) or "?"
        return _comment(row, username)


def list_comments(db: Database, paper_id: str) -> list[Comment]:
    with db.sessions() as session:
        rows = session.execute(
            sa.select(CommentRow, UserRow.username)
            .join(UserRow, UserRow.id == CommentRow.user_id)
            .where(CommentRow.paper_id == paper_id)
            .order_by(CommentRow.created_at, CommentRow.id)
        ).all()
    return [_comment(row, username) for row, username in rows]


def render_markdown(text: str) -> str:
    """Safe HTML for untrusted markdown (see the module docstring for the two fences)."""
    return nh3.clean(
        _markdown.render(text),
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def _bump(session: Session, paper_id: str, delta: int) -> None:
    bump = sa.update(PaperRow).where(PaperRow.id == paper_id).values(upvotes=PaperRow.upvotes + delta)
    session.execute(bump)


def _result(db: Database, paper_id: str, *, voted: bool, changed: bool) -> VoteResult:
    with db.sessions() as session:
        if session.get(PaperRow, paper_id) is None:
            raise UnknownPaper(paper_id)
        totals = paper_totals(session, [paper_id])
    return VoteResult(paper_id, totals[paper_id][0], voted, changed)


def _comment(row: CommentRow, username: str) -> Comment:
    return Comment(row.id, row.paper_id, username, row.body, render_markdown(row.body), row.created_at)

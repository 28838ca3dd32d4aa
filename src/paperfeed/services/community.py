"""Community: upvotes and comments.

Upvotes are safe under concurrency on both backends: the vote row is inserted with ``ON CONFLICT DO
NOTHING`` against the (user, paper) unique constraint, and ``papers.upvotes`` is incremented in the same
transaction *only* when that insert really added a row. Writing first also matters on SQLite: the
transaction takes the write lock at its first statement (waiting on ``busy_timeout``) instead of
upgrading a read snapshot, which SQLite would refuse under contention.

Comments are stored as the author wrote them and rendered on the way out: markdown-it with raw HTML
disabled, then nh3 (an allow-list HTML sanitiser) as a second fence, so no markup a reader did not expect
reaches the page. Formulas (``$…$``, ``$$…$$``) become MathML, sanitised on its own allow-list. Authors
may edit (the comment then says "edited") and delete their own; any reader may report one to the
moderators, once. A comment a moderator hid keeps its text for its author and the moderators only:
everyone else gets it without text (the page says "hidden by a moderator").
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

from paperfeed.domain.mathml import MATHML_ATTRIBUTES, MATHML_TAGS
from paperfeed.rank.tally import paper_totals
from paperfeed.services.markdown_maths import maths_plugin
from paperfeed.store import Database
from paperfeed.store.models import CommentReportRow, CommentRow, PaperRow, UserRow, VoteRow

MAX_COMMENT = 10_000
MAX_REPORT_REASON = 500
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").use(maths_plugin)
_ALLOWED_TAGS = {
    "p",
    "br",
    "em",
    "strong",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


class UnknownPaper(LookupError):
    def __init__(self, paper_id: str) -> None:
        super().__init__(f"No paper with arXiv id {paper_id!r} is stored here.")
        self.paper_id = paper_id


class CommentError(ValueError):
    """A comment that cannot be posted (empty or too long); the message says which."""


class UnknownComment(LookupError):
    def __init__(self, comment_id: int) -> None:
        super().__init__(f"There is no comment #{comment_id}; it may have been deleted.")


class NotYourComment(PermissionError):
    """Only a comment's author may edit or delete it."""


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
    body: str  # empty for a hidden comment, except to its author and moderators
    html: str
    created_at: datetime
    user_id: int = 0
    edited_at: datetime | None = None
    hidden_at: datetime | None = None
    hidden_by: str | None = None

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


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
        removed = (
            session.execute(
                sa.delete(VoteRow)
                .where(VoteRow.user_id == user_id, VoteRow.paper_id == paper_id)
                .returning(VoteRow.id)
            ).first()
            is not None
        )
        if removed:
            _bump(session, paper_id, -1)
    return _result(db, paper_id, voted=False, changed=removed)


def voted_papers(db: Database, user_id: int, paper_ids: list[str]) -> set[str]:
    """Which of ``paper_ids`` the user has upvoted, to draw their buttons pressed."""
    if not paper_ids:
        return set()
    with db.sessions() as session:
        return set(
            session.scalars(
                sa.select(VoteRow.paper_id).where(VoteRow.user_id == user_id, VoteRow.paper_id.in_(paper_ids))
            )
        )


def add_comment(db: Database, user_id: int, paper_id: str, body: str) -> Comment:
    text = _checked(body)
    with db.session() as session:
        if session.get(PaperRow, paper_id) is None:
            raise UnknownPaper(paper_id)
        row = CommentRow(paper_id=paper_id, user_id=user_id, body=text, created_at=datetime.now(UTC))
        session.add(row)
        session.flush()
        username = session.scalar(sa.select(UserRow.username).where(UserRow.id == user_id)) or "?"
        return _comment(row, username)


def list_comments(
    db: Database,
    paper_id: str,
    *,
    viewer_id: int | None = None,
    moderator: bool = False,
) -> list[Comment]:
    """A paper's comments, oldest first. A hidden one keeps its text only for its author (``viewer_id``)
    and moderators; without a viewer, nobody sees it."""
    with db.sessions() as session:
        rows = session.execute(
            sa.select(CommentRow, UserRow.username)
            .join(UserRow, UserRow.id == CommentRow.user_id)
            .where(CommentRow.paper_id == paper_id)
            .order_by(CommentRow.created_at, CommentRow.id)
        ).all()
    return [_comment(row, username, shown=moderator or row.user_id == viewer_id) for row, username in rows]


def get_comment(db: Database, comment_id: int) -> Comment | None:
    """One comment, text included (for its author and moderators)."""
    with db.sessions() as session:
        found = session.execute(
            sa.select(CommentRow, UserRow.username)
            .join(UserRow, UserRow.id == CommentRow.user_id)
            .where(CommentRow.id == comment_id)
        ).first()
    return _comment(*found) if found else None


def edit_comment(db: Database, user_id: int, comment_id: int, body: str) -> Comment:
    """The author's new text; the comment then shows "edited". A hidden comment cannot be edited."""
    text = _checked(body)
    with db.session() as session:
        row = _own(session, user_id, comment_id)
        if row.hidden_at is not None:
            raise CommentError("A moderator hid this comment; it can no longer be edited.")
        if text != row.body:
            row.body, row.edited_at = text, datetime.now(UTC)
        username = session.scalar(sa.select(UserRow.username).where(UserRow.id == user_id)) or "?"
        return _comment(row, username)


def delete_comment(db: Database, user_id: int, comment_id: int) -> str:
    """Delete the author's own comment (and any reports of it); returns its paper's id."""
    with db.session() as session:
        row = _own(session, user_id, comment_id)
        paper_id = row.paper_id
        session.delete(row)
    return paper_id


def report_comment(db: Database, user_id: int, comment_id: int, reason: str = "") -> bool:
    """Report a comment to the moderators; True if this is the reader's first report of it."""
    reason = " ".join(reason.split())[:MAX_REPORT_REASON]
    insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    with db.session() as session:
        author = session.scalar(sa.select(CommentRow.user_id).where(CommentRow.id == comment_id))
        if author is None:
            raise UnknownComment(comment_id)
        if author == user_id:
            raise CommentError("This is your own comment: edit or delete it instead of reporting it.")
        return (
            session.execute(
                insert(CommentReportRow)
                .values(comment_id=comment_id, user_id=user_id, reason=reason, created_at=datetime.now(UTC))
                .on_conflict_do_nothing(index_elements=["comment_id", "user_id"])
                .returning(CommentReportRow.id)
            ).first()
            is not None
        )


def set_hidden(session: Session, comment_id: int, *, by: str | None) -> CommentRow:
    """A moderator hides (``by`` their name) or shows again (``by=None``) a comment; its open reports are
    settled either way. In the caller's transaction, so the audit record commits with it."""
    row = session.get(CommentRow, comment_id)
    if row is None:
        raise UnknownComment(comment_id)
    now = datetime.now(UTC)
    row.hidden_at, row.hidden_by = (now, by) if by is not None else (None, None)
    dismiss_reports(session, comment_id)
    return row


def remove_comment(session: Session, comment_id: int) -> CommentRow:
    """A moderator deletes a comment (its reports go with it); returns the row as it was."""
    row = session.get(CommentRow, comment_id)
    if row is None:
        raise UnknownComment(comment_id)
    session.delete(row)
    return row


def dismiss_reports(session: Session, comment_id: int) -> int:
    """Mark the comment's open reports as dealt with; returns how many there were."""
    return len(
        session.execute(
            sa.update(CommentReportRow)
            .where(CommentReportRow.comment_id == comment_id, CommentReportRow.dismissed_at.is_(None))
            .values(dismissed_at=datetime.now(UTC))
            .returning(CommentReportRow.id)
        ).all()
    )


def preview_comment(body: str) -> str:
    """The HTML a comment would show, checked like a real one but stored nowhere (the form's Preview)."""
    return render_markdown(_checked(body))


def render_markdown(text: str) -> str:
    """Safe HTML for untrusted markdown (see the module docstring for the two fences)."""
    return nh3.clean(
        _markdown.render(text),
        tags=_ALLOWED_TAGS | MATHML_TAGS,  # formulas: MathML from services.markdown_maths
        attributes={"a": {"href", "title"}, **MATHML_ATTRIBUTES},
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


def _checked(body: str) -> str:
    text = body.strip()
    if not text:
        raise CommentError("The comment is empty; write something first.")
    if len(text) > MAX_COMMENT:
        raise CommentError(f"The comment is {len(text):,} characters; the limit is {MAX_COMMENT:,}.")
    return text


def _own(session: Session, user_id: int, comment_id: int) -> CommentRow:
    row = session.get(CommentRow, comment_id)
    if row is None:
        raise UnknownComment(comment_id)
    if row.user_id != user_id:
        raise NotYourComment("Only its author can edit or delete a comment.")
    return row


def _comment(row: CommentRow, username: str, *, shown: bool = True) -> Comment:
    body = row.body if shown or row.hidden_at is None else ""
    html = render_markdown(body) if body else ""
    return Comment(
        row.id,
        row.paper_id,
        username,
        body,
        html,
        row.created_at,
        row.user_id,
        row.edited_at,
        row.hidden_at,
        row.hidden_by,
    )

"""What /admin shows and does: accounts, moderation, submissions, jobs and the site's figures.

Every action checks, in its own transaction, that the actor is still an enabled admin, and writes its audit
record (who, what, which target, when) in that same transaction: an action is never done without its
record, nor recorded without being done.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.services import accounts, community, submissions
from paperfeed.services.community import Comment
from paperfeed.services.sync import SyncStatus, run_sync, sync_categories, sync_status
from paperfeed.store import Database
from paperfeed.store.jobs import JobState, list_jobs
from paperfeed.store.models import (
    AdminActionRow,
    CommentReportRow,
    CommentRow,
    FeedEntryRow,
    OutboxRow,
    PaperRow,
    RatingRow,
    UserRow,
    VoteRow,
)

log = logging.getLogger(__name__)
FIGURE_DAYS = 14
ACTIVE_DAYS = 30
SYNC_STATUS_TTL_S = 10.0  # the footer of every page reads it: a few queries saved per page view


class AdminOnly(PermissionError):
    """The actor is not (or no longer) an enabled admin."""


class AdminError(ValueError):
    """An admin action that cannot be done; the message says why."""


# --- accounts -------------------------------------------------------------------------------------------


def is_disabled(db: Database, user_id: int) -> bool:
    """Whether an admin disabled the account: it may then not log in, vote, comment or use its token."""
    with db.sessions() as session:
        return bool(session.scalar(sa.select(UserRow.disabled).where(UserRow.id == user_id)))


def is_admin(db: Database, user_id: int) -> bool:
    with db.sessions() as session:
        row = session.get(UserRow, user_id)
        return row is not None and row.is_admin and not row.disabled


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    email: str | None
    is_admin: bool
    disabled: bool
    created_at: datetime


def list_accounts(db: Database, *, query: str = "", limit: int = 100) -> list[Account]:
    """Accounts, newest first; ``query`` matches part of a name or address."""
    select = sa.select(UserRow).order_by(UserRow.id.desc()).limit(limit)
    if query.strip():
        like = f"%{query.strip().lower()}%"
        select = select.where(
            sa.or_(sa.func.lower(UserRow.username).like(like), sa.func.lower(UserRow.email).like(like))
        )
    with db.sessions() as session:
        return [
            Account(r.id, r.username, r.email, bool(r.is_admin), bool(r.disabled), r.created_at)
            for r in session.scalars(select)
        ]


def set_disabled(db: Database, actor_id: int, user_id: int, disabled: bool) -> None:
    with db.session() as session:
        actor, target = _actor(session, actor_id), _target_user(session, user_id)
        if disabled and target.id == actor.id:
            raise AdminError("You cannot disable your own account; ask another admin.")
        target.disabled = disabled
        _record(session, actor, "disable" if disabled else "enable", "user", target.id, target.username)


def set_admin(db: Database, actor_id: int, user_id: int, admin: bool) -> None:
    with db.session() as session:
        actor, target = _actor(session, actor_id), _target_user(session, user_id)
        if not admin and target.id == actor.id:
            raise AdminError("You cannot take away your own admin rights; ask another admin.")
        target.is_admin = admin
        _record(session, actor, "promote" if admin else "demote", "user", target.id, target.username)


def force_log_out(db: Database, actor_id: int, user_id: int) -> int:
    """End every log-in session of the account (its API token stays: disable the account to stop that too);
    returns how many sessions ended."""
    with db.session() as session:  # sessions are ended by their own store, in its own transaction
        _actor(session, actor_id)
        name = _target_user(session, user_id).username
    ended = accounts.revoke_sessions(db, user_id)
    with db.session() as session:
        _record(
            session,
            _actor(session, actor_id),
            "force-logout",
            "user",
            user_id,
            f"{name}: {ended} session(s) ended",
        )
    return ended


# --- moderation -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModeratedComment:
    comment: Comment  # with its text, hidden or not
    paper_title: str
    open_reports: int
    reasons: list[str] = field(default_factory=list)


def moderation_queue(db: Database, *, limit: int = 50) -> list[ModeratedComment]:
    """Comments with open reports first (most reported first), then the newest."""
    open_reports = (
        sa.select(CommentReportRow.comment_id, sa.func.count().label("n"))
        .where(CommentReportRow.dismissed_at.is_(None))
        .group_by(CommentReportRow.comment_id)
        .subquery()
    )
    reports = sa.func.coalesce(open_reports.c.n, 0)
    with db.sessions() as session:
        rows = session.execute(
            sa.select(CommentRow.id, PaperRow.title, reports)
            .join(PaperRow, PaperRow.id == CommentRow.paper_id)
            .outerjoin(open_reports, open_reports.c.comment_id == CommentRow.id)
            .order_by(reports.desc(), CommentRow.created_at.desc(), CommentRow.id.desc())
            .limit(limit)
        ).all()
        reasons: dict[int, list[str]] = {}
        for comment_id, reason in session.execute(
            sa.select(CommentReportRow.comment_id, CommentReportRow.reason).where(
                CommentReportRow.comment_id.in_([r[0] for r in rows]),
                CommentReportRow.dismissed_at.is_(None),
                CommentReportRow.reason != "",
            )
        ):
            reasons.setdefault(comment_id, []).append(reason)
    queue = []
    for comment_id, title, count in rows:
        comment = community.get_comment(db, comment_id)
        if comment is not None:  # deleted in between
            queue.append(ModeratedComment(comment, title, count, reasons.get(comment_id, [])))
    return queue


def hide_comment(db: Database, actor_id: int, comment_id: int, *, hidden: bool = True) -> str:
    """Hide a comment from readers (or show it again); returns its paper's id."""
    with db.session() as session:
        actor = _actor(session, actor_id)
        row = community.set_hidden(session, comment_id, by=actor.username if hidden else None)
        _record(
            session,
            actor,
            "hide-comment" if hidden else "unhide-comment",
            "comment",
            comment_id,
            f"on {row.paper_id}: {_excerpt(row.body)}",
        )
        return row.paper_id


def delete_comment(db: Database, actor_id: int, comment_id: int) -> str:
    """Delete a comment for good; the audit record keeps its author and the start of its text."""
    with db.session() as session:
        actor = _actor(session, actor_id)
        row = community.remove_comment(session, comment_id)
        author = session.scalar(sa.select(UserRow.username).where(UserRow.id == row.user_id)) or "?"
        _record(
            session,
            actor,
            "delete-comment",
            "comment",
            comment_id,
            f"by {author} on {row.paper_id}: {_excerpt(row.body)}",
        )
        return row.paper_id


def dismiss_reports(db: Database, actor_id: int, comment_id: int) -> int:
    """Keep the comment as it is and settle its reports."""
    with db.session() as session:
        actor = _actor(session, actor_id)
        if session.get(CommentRow, comment_id) is None:
            raise community.UnknownComment(comment_id)
        count = community.dismiss_reports(session, comment_id)
        _record(session, actor, "dismiss-reports", "comment", comment_id, f"{count} report(s)")
        return count


# --- submissions and jobs -------------------------------------------------------------------------------


def retry_submission(db: Database, actor_id: int, submission_id: int) -> None:
    with db.session() as session:
        actor = _actor(session, actor_id)
        if not submissions.requeue(session, submission_id):
            raise AdminError(f"Submission #{submission_id} has not failed; only failed ones are retried.")
        _record(session, actor, "retry-submission", "submission", submission_id, "")
    submissions.wake_workers()


def approve_submission(db: Database, actor_id: int, submission_id: int, *, day: date | None = None) -> None:
    """Feature a submission awaiting approval on the day it was submitted (or ``day``)."""
    with db.session() as session:
        actor = _actor(session, actor_id)
        approved = submissions.approve(session, submission_id, by=actor.username, day=day)
        if approved is None:
            raise AdminError(f"Submission #{submission_id} is not awaiting approval.")
        detail = (
            f"{approved.paper_id} by {approved.submitted_by}, featured on {approved.featured_on.isoformat()}"
        )
        _record(session, actor, "approve-submission", "submission", submission_id, detail)


def reject_submission(db: Database, actor_id: int, submission_id: int) -> None:
    """Refuse a submission awaiting approval: it is never featured."""
    with db.session() as session:
        actor = _actor(session, actor_id)
        rejected = submissions.reject(session, submission_id, by=actor.username)
        if rejected is None:
            raise AdminError(f"Submission #{submission_id} is not awaiting approval.")
        _record(
            session,
            actor,
            "reject-submission",
            "submission",
            submission_id,
            f"{rejected.paper_id} by {rejected.submitted_by}",
        )


def start_sync_now(db: Database, actor_id: int, settings: Settings) -> None:
    """Run a sync in a background thread now (the lease keeps it to one at a time)."""
    categories = sync_categories(settings)
    if not categories:
        raise AdminError("No categories to sync: set PAPERFEED_SYNC_CATEGORIES (e.g. cs.LG,cs.CL).")
    status = sync_status(db)
    if status.running:
        raise AdminError(f"A sync is already running ({status.running}).")
    with db.session() as session:
        _record(session, _actor(session, actor_id), "sync-now", "sync", "-", ", ".join(categories))

    def run() -> None:
        try:
            run_sync(db, settings)
        except Exception:  # recorded by run_sync as the last error, shown on /admin
            log.exception("sync started from /admin failed")

    threading.Thread(target=run, name="paperfeed-sync-now", daemon=True).start()


def recent_jobs(db: Database, *, limit: int = 30) -> list[JobState]:
    with db.sessions() as session:
        return list_jobs(session, limit=limit)


# --- the audit log --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditEntry:
    admin_name: str
    action: str
    target_kind: str
    target_id: str
    detail: str
    created_at: datetime


def audit_log(db: Database, *, limit: int = 50) -> list[AuditEntry]:
    with db.sessions() as session:
        rows = session.scalars(
            sa.select(AdminActionRow)
            .order_by(AdminActionRow.created_at.desc(), AdminActionRow.id.desc())
            .limit(limit)
        )
        return [
            AuditEntry(r.admin_name, r.action, r.target_kind, r.target_id, r.detail, r.created_at)
            for r in rows
        ]


# --- figures --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteFigures:
    papers_per_day: list[tuple[date, int]]  # featured papers, the last FIGURE_DAYS days, oldest first
    papers: int
    accounts: int
    active_readers: int  # voted, commented or rated in the last ACTIVE_DAYS days
    votes: int
    votes_week: int
    comments: int
    open_reports: int
    mails_sent: int
    mails_sent_week: int
    mails_waiting: int
    mails_failed: int
    submissions: dict[str, int]


def site_figures(db: Database, *, today: date, now: datetime) -> SiteFigures:
    first = today - timedelta(days=FIGURE_DAYS - 1)
    week, active_since = now - timedelta(days=7), now - timedelta(days=ACTIVE_DAYS)
    with db.sessions() as session:
        per_day = dict(
            session.execute(
                sa.select(FeedEntryRow.featured_on, sa.func.count(sa.distinct(FeedEntryRow.paper_id)))
                .where(FeedEntryRow.featured_on.between(first, today))
                .group_by(FeedEntryRow.featured_on)
            ).all()
        )
        active = sa.union(
            *(
                sa.select(t.user_id).where(t.created_at >= active_since)
                for t in (VoteRow, CommentRow, RatingRow)
            )
        ).subquery()
        mails = dict(
            session.execute(sa.select(OutboxRow.status, sa.func.count()).group_by(OutboxRow.status)).all()
        )
        figures = SiteFigures(
            papers_per_day=[
                (first + timedelta(days=n), per_day.get(first + timedelta(days=n), 0))
                for n in range(FIGURE_DAYS)
            ],
            papers=_count(session, PaperRow),
            accounts=_count(session, UserRow),
            active_readers=session.scalar(sa.select(sa.func.count()).select_from(active)) or 0,
            votes=_count(session, VoteRow),
            votes_week=_count(session, VoteRow, VoteRow.created_at >= week),
            comments=_count(session, CommentRow),
            open_reports=_count(session, CommentReportRow, CommentReportRow.dismissed_at.is_(None)),
            mails_sent=mails.get("sent", 0),
            mails_sent_week=_count(session, OutboxRow, OutboxRow.status == "sent", OutboxRow.sent_at >= week),
            mails_waiting=mails.get("pending", 0),
            mails_failed=mails.get("failed", 0),
            submissions=submissions.count_by_status(db),
        )
    return figures


# --- "updated … ago" ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteFreshness:
    updated: str | None  # "updated 3 hours ago"; None before the first sync (the bundled demo)
    failed: bool  # the latest sync failed (admins see why on /admin)


_status_cache: dict[str, tuple[float, SyncStatus]] = {}


def cached_sync_status(db: Database) -> SyncStatus:
    """:func:`sync_status`, kept for :data:`SYNC_STATUS_TTL_S` per database."""
    cached = _status_cache.get(db.url)
    if cached is None or time.monotonic() - cached[0] > SYNC_STATUS_TTL_S:
        cached = (time.monotonic(), sync_status(db))
        _status_cache[db.url] = cached
    return cached[1]


def site_freshness(db: Database, now: datetime) -> SiteFreshness:
    """For the footer of every page."""
    status = cached_sync_status(db)
    updated = f"updated {ago(status.last_success, now)}" if status.last_success else None
    failed = status.last_error is not None
    return SiteFreshness(updated, failed)


def ago(then: datetime, now: datetime) -> str:
    """ "just now", "5 minutes ago", "3 hours ago", "2 days ago"."""
    seconds = (now - then).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


# --- helpers --------------------------------------------------------------------------------------------


def _actor(session: Session, actor_id: int) -> UserRow:
    row = session.get(UserRow, actor_id)
    if row is None or not row.is_admin or row.disabled:
        raise AdminOnly("Only the site's admins may do this.")
    return row


def _target_user(session: Session, user_id: int) -> UserRow:
    row = session.get(UserRow, user_id)
    if row is None:
        raise AdminError(f"There is no account #{user_id}.")
    return row


def _record(session: Session, actor: UserRow, action: str, kind: str, target: object, detail: str) -> None:
    session.add(
        AdminActionRow(
            admin_id=actor.id,
            admin_name=actor.username,
            action=action,
            target_kind=kind,
            target_id=str(target)[:64],
            detail=detail,
            created_at=datetime.now(UTC),
        )
    )


def _excerpt(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(session: Session, model: type, *where: sa.ColumnElement[bool]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

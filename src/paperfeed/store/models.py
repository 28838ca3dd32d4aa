"""The relational schema, shared by SQLite and PostgreSQL: every table is declared here, or named in
:data:`SEARCH_OWNED` as built by hand in a migration.

Only portable types are used here; backend-specific search structures (FTS5, tsvector, pgvector, expression
indexes) are written as SQL in the search migration and listed in :data:`SEARCH_OWNED`, which Alembic's
autogenerate and ``tests/test_migrations.py`` skip. Changing this file means adding an Alembic revision under
``store/migrations/versions``; the test fails until models and migrations agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(sa.TypeDecorator[datetime]):
    """An aware UTC timestamp on both backends.

    SQLite keeps no offset: it would store an aware non-UTC time as its local wall time and hand every value
    back naive. Normalising to UTC on the way in and marking UTC on the way out makes both backends agree, so
    no caller has to patch time zones after a query.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None or value.tzinfo is None:
            return value
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class PaperRow(Base):
    __tablename__ = "papers"

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    title: Mapped[str] = mapped_column(sa.Text)
    abstract: Mapped[str] = mapped_column(sa.Text, default="")
    authors: Mapped[list] = mapped_column(sa.JSON, default=list)
    categories: Mapped[list] = mapped_column(sa.JSON, default=list)
    primary_category: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    versions: Mapped[list] = mapped_column(sa.JSON, default=list)
    published: Mapped[date | None] = mapped_column(sa.Date, index=True)
    updated: Mapped[date | None] = mapped_column(sa.Date)
    doi: Mapped[str | None] = mapped_column(sa.Text)
    journal_ref: Mapped[str | None] = mapped_column(sa.Text)
    comments: Mapped[str | None] = mapped_column(sa.Text)
    license: Mapped[str | None] = mapped_column(sa.Text)
    github_repo: Mapped[str | None] = mapped_column(sa.Text)
    project_page: Mapped[str | None] = mapped_column(sa.Text)
    withdrawn: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    # Local community votes, kept in step with the votes table inside the same transaction.
    upvotes: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    modified_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)  # the search index's marks


class FeedEntryRow(Base):
    __tablename__ = "feed_entries"
    __table_args__ = (sa.UniqueConstraint("paper_id", "featured_on", name="uq_feed_entries_paper_day"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    featured_on: Mapped[date] = mapped_column(sa.Date, index=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    submitted_by: Mapped[str | None] = mapped_column(sa.String(200))
    external_upvotes: Mapped[int] = mapped_column(sa.Integer, default=0)
    num_comments: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PaperAuthorRow(Base):
    """One author of one paper, in order: what author pages and "other papers by the authors" read, so that
    finding an author's papers is an index lookup, not a scan of every paper's ``authors`` list.

    ``author_key`` is :func:`paperfeed.domain.authors.author_key` of the name, the form follows are keyed
    by; ``name`` is the name as this paper spells it. Rewritten with the paper by ``store.papers``."""

    __tablename__ = "paper_authors"

    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    author_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    name: Mapped[str] = mapped_column(sa.Text)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str | None] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    api_token_hash: Mapped[str | None] = mapped_column(sa.String(128), unique=True)
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # The secret in the personal feed's URL, stored as SHA-256 like the API token; a new one revokes the old.
    feed_token_hash: Mapped[str | None] = mapped_column(sa.String(128), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set by an admin: the account can no longer log in, vote, comment or use its API token.
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())


class VoteRow(Base):
    """One upvote per user and paper; the unique constraint is what makes double votes impossible."""

    __tablename__ = "votes"
    __table_args__ = (sa.UniqueConstraint("user_id", "paper_id", name="uq_votes_user_paper"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CommentRow(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # shown as "edited"
    # A moderator's hiding: readers see "hidden by a moderator" instead of the text. The name, not a key:
    # the record of who did it outlives the moderator's account.
    hidden_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    hidden_by: Mapped[str | None] = mapped_column(sa.String(64))


class CollectionRow(Base):
    __tablename__ = "collections"
    __table_args__ = (sa.UniqueConstraint("user_id", "slug", name="uq_collections_user_slug"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CollectionItemRow(Base):
    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    frequency: Mapped[str] = mapped_column(sa.String(16), default="daily")
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending|active|unsubscribed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # comma-separated arXiv categories and keywords the digest is limited to; NULL/empty: every paper
    topics: Mapped[str | None] = mapped_column(sa.Text)


class OutboxRow(Base):
    """A mail to send. Written before sending, so a crashed run is resumed, never repeated."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    subscription_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscriptions.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(32))  # confirm | digest
    recipient: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.Text)
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DigestPaperRow(Base):
    """Which papers a subscriber has been sent: the guarantee that no paper arrives twice."""

    __tablename__ = "digest_papers"

    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    outbox_id: Mapped[int] = mapped_column(sa.ForeignKey("outbox.id", ondelete="CASCADE"))


class IngestJobRow(Base):
    """A long-running job (harvest, import, embedding) with its resumable checkpoint and progress."""

    __tablename__ = "ingest_jobs"
    __table_args__ = (sa.UniqueConstraint("kind", "key", name="uq_ingest_jobs_kind_key"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    key: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(16), default="running")  # running|done|failed
    checkpoint: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RatingRow(Base):
    """A reader's explicit 👍 "more like this" (+1) or 👎 "not interested" (-1); one per reader and paper."""

    __tablename__ = "ratings"
    __table_args__ = (sa.UniqueConstraint("user_id", "paper_id", name="uq_ratings_user_paper"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    value: Mapped[int] = mapped_column(sa.SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FollowRow(Base):
    """An author, category or keyword a reader follows. ``key`` is the normalised form that makes a follow
    unique ("Yann LeCun" and "yann lecun" are one follow); ``value`` is what the reader typed."""

    __tablename__ = "follows"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind", "key", name="uq_follows_user_kind_key"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # author | category | keyword
    key: Mapped[str] = mapped_column(sa.String(200))
    value: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LibraryItemRow(Base):
    """One entry of a reader's imported library (BibTeX, RIS, CSL-JSON or a list of ids).

    ``match_key`` (``arxiv:2401.01234``, ``doi:10.…`` or ``title:…``) makes re-importing the same export a
    no-op. An entry matched to a stored paper points at it; one that matched nothing keeps its own title and
    abstract and, once embedded, its own vector (``vector`` as float32 bytes, ``vector_model`` the key of the
    model that made it), so a library of older or non-arXiv papers still shapes the ranking.
    """

    __tablename__ = "library_items"
    __table_args__ = (sa.UniqueConstraint("user_id", "match_key", name="uq_library_items_user_match_key"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    paper_id: Mapped[str | None] = mapped_column(sa.ForeignKey("papers.id", ondelete="SET NULL"), index=True)
    match_key: Mapped[str] = mapped_column(sa.String(300))
    matched_by: Mapped[str | None] = mapped_column(sa.String(16))  # arxiv | doi | title | None
    title: Mapped[str] = mapped_column(sa.Text, default="")
    abstract: Mapped[str] = mapped_column(sa.Text, default="")
    authors: Mapped[list] = mapped_column(sa.JSON, default=list)
    arxiv_id: Mapped[str | None] = mapped_column(sa.String(40))
    doi: Mapped[str | None] = mapped_column(sa.Text)
    year: Mapped[int | None] = mapped_column(sa.Integer)
    vector: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    vector_model: Mapped[str | None] = mapped_column(sa.String(120))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)  # when the reader added it (export), else import
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MailThrottleRow(Base):
    """One mail-triggering request, counted against ``scope`` (``address`` or ``ip``) and its key."""

    __tablename__ = "mail_throttle"
    __table_args__ = (sa.Index("ix_mail_throttle_scope_key_at", "scope", "key_hash", "created_at"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(sa.String(16))
    key_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class LeaseRow(Base):
    """A named lease: at most one holder at a time across every process and node (one sync, one embedder).

    A holder that dies simply stops renewing; once ``expires_at`` passes, the next one takes over."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(200))
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SubmissionRow(Base):
    """A reader's request to feature a paper today. Recorded at once; the submission worker fetches it from
    arXiv later (``queued`` → ``fetching`` → ``done`` | ``failed``), so no web request waits on arXiv. When
    the operator wants approval, a fetched one is ``awaiting`` until an admin makes it ``done`` or
    ``rejected`` (``decided_by``, ``decided_at``).

    ``lease_until`` is the claim of the worker fetching it: a worker that dies lets it expire and another
    takes the submission over. ``next_attempt_at`` spaces the retries after arXiv failed to answer."""

    __tablename__ = "submissions"
    __table_args__ = (sa.Index("ix_submissions_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(sa.String(500))  # what the reader typed
    paper_id: Mapped[str] = mapped_column(sa.String(40))  # the arXiv id parsed from it
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    submitted_by: Mapped[str] = mapped_column(sa.String(200))
    featured_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")  # …|awaiting|done|failed|rejected
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    claimed_by: Mapped[str | None] = mapped_column(sa.String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))  # the admin who approved or rejected it
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CommentReportRow(Base):
    """A reader's report of a comment to the moderators; one per reader and comment."""

    __tablename__ = "comment_reports"
    __table_args__ = (sa.UniqueConstraint("comment_id", "user_id", name="uq_comment_reports_comment_user"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    dismissed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # an admin looked and kept the comment


class AdminActionRow(Base):
    """The audit log: every admin action, who did it, to what, and when (shown on /admin)."""

    __tablename__ = "admin_actions"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    admin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    admin_name: Mapped[str] = mapped_column(sa.String(64))  # kept when the account is gone
    action: Mapped[str] = mapped_column(sa.String(32))
    target_kind: Mapped[str] = mapped_column(sa.String(16))  # user | comment | submission | sync
    target_id: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class PacingRow(Base):
    """The politeness limiter every process shares: the earliest moment (Unix seconds) the next request to
    a source may start, written by the holder of the turn as it leaves (see ``store/pacing.py``)."""

    __tablename__ = "pacing"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    next_at: Mapped[float] = mapped_column(sa.Float)


class WebSessionRow(Base):
    """A logged-in browser. The cookie carries a random id; only its SHA-256 is stored, so a leaked table
    opens no session. Deleting the row logs that browser out on every node at once."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RateLimitRow(Base):
    """Events counted in one fixed window of one rate limit, shared by every worker and node.

    ``window_index`` is the window's number (Unix time // the limit's length); the limiter weighs the
    previous window's count by how much of it still overlaps the sliding window. ``key_hash`` is SHA-256 of
    the key, so neither addresses nor user names are stored."""

    __tablename__ = "rate_limits"

    bucket: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    window_index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(sa.Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class InstanceSecretRow(Base):
    """Secrets every node must share (the signing key), made once by whichever process comes first."""

    __tablename__ = "instance_secrets"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MapBuildRow(Base):
    """One build of the topic map (``services/topic_map.py``): what it was fitted on, with which settings."""

    __tablename__ = "map_builds"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(sa.String(40))  # the layout method's name and version
    model: Mapped[str] = mapped_column(sa.String(120))  # the vectors' model key
    built_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sample_size: Mapped[int] = mapped_column(sa.Integer)
    papers: Mapped[int] = mapped_column(sa.Integer)
    seconds: Mapped[float] = mapped_column(sa.Float)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class MapTopicRow(Base):
    """A topic of the current map: its label (distinctive title words), size and centre on the map."""

    __tablename__ = "map_topics"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(sa.String(200))
    words: Mapped[list] = mapped_column(sa.JSON, default=list)
    size: Mapped[int] = mapped_column(sa.Integer)
    x: Mapped[float] = mapped_column(sa.Float)
    y: Mapped[float] = mapped_column(sa.Float)


class MapPointRow(Base):
    """A paper's place on the current map. ``anchor`` marks the fitted sample, by which every other paper
    (and every new one) is placed."""

    __tablename__ = "map_points"

    paper_id: Mapped[str] = mapped_column(sa.ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    x: Mapped[float] = mapped_column(sa.Float, index=True)  # a zoomed view reads a band of x
    y: Mapped[float] = mapped_column(sa.Float)
    topic_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    anchor: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)
    # A random rank: a view too full to draw whole shows its lowest ranks, an even sample of the papers.
    draw_order: Mapped[int] = mapped_column(sa.Integer, index=True)


# Built by hand in migrations (backend-specific SQL), so not declared above: FTS5 and its shadow tables, the
# vectors table (a pgvector column on PostgreSQL, a BLOB on SQLite), the generated tsvector, and indexes on
# expressions, which SQLAlchemy cannot reflect.
SEARCH_OWNED = {
    "table": ("papers_fts", "paper_vectors"),  # prefixes: papers_fts_data, _idx, _config, _docsize …
    "column": ("search_tsv",),
    "index": ("ix_papers_title_lower", "ix_papers_search_tsv", "uq_users_username_lower", "ix_paper_vectors"),
}


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's filter: compare everything except what :data:`SEARCH_OWNED` says the migrations own."""
    owned = SEARCH_OWNED.get(type_, ())
    return not (name and name.startswith(owned))


class DataVersionRow(Base):
    """One row: a number that grows whenever something an anonymous page shows changes (bumped by triggers,
    see migration 0016 and ``store/data_version``), so every node's page cache knows when to re-render."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    changed_at: Mapped[float] = mapped_column(sa.Float, default=0.0)

"""For you: explicit ratings, follows, imported library entries and the personal feed's token.

Revision ID: 0006_interests
Revises: 0005_usernames
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_interests"
down_revision = "0005_usernames"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN and a unique index: batch mode would rebuild `users` on SQLite and lose the
    # expression index that keeps usernames unique regardless of case.
    op.add_column("users", sa.Column("feed_token_hash", sa.String(128), nullable=True))
    op.create_index("ix_users_feed_token_hash", "users", ["feed_token_hash"], unique=True)
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("paper_id", sa.String(40), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("value", sa.SmallInteger, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "paper_id", name="uq_ratings_user_paper"),
    )
    op.create_index("ix_ratings_user_id", "ratings", ["user_id"])
    op.create_index("ix_ratings_paper_id", "ratings", ["paper_id"])
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "kind", "key", name="uq_follows_user_kind_key"),
    )
    op.create_index("ix_follows_user_id", "follows", ["user_id"])
    op.create_table(
        "library_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("paper_id", sa.String(40), sa.ForeignKey("papers.id", ondelete="SET NULL"), nullable=True),
        sa.Column("match_key", sa.String(300), nullable=False),
        sa.Column("matched_by", sa.String(16), nullable=True),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("abstract", sa.Text, nullable=False, server_default=""),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("arxiv_id", sa.String(40), nullable=True),
        sa.Column("doi", sa.Text, nullable=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("vector", sa.LargeBinary, nullable=True),
        sa.Column("vector_model", sa.String(120), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "match_key", name="uq_library_items_user_match_key"),
    )
    op.create_index("ix_library_items_user_id", "library_items", ["user_id"])
    op.create_index("ix_library_items_paper_id", "library_items", ["paper_id"])


def downgrade() -> None:
    op.drop_table("library_items")
    op.drop_table("follows")
    op.drop_table("ratings")
    op.drop_index("ix_users_feed_token_hash", table_name="users")
    op.drop_column("users", "feed_token_hash")

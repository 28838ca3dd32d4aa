"""mail: rate-limit counters for confirmation mails

Revision ID: 0004_mail
Revises: 0002_search
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_mail"
down_revision = "0002_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_throttle",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_throttle")),
    )
    op.create_index("ix_mail_throttle_scope_key_at", "mail_throttle", ["scope", "key_hash", "created_at"])
    op.create_index(op.f("ix_mail_throttle_created_at"), "mail_throttle", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_throttle_created_at"), table_name="mail_throttle")
    op.drop_index("ix_mail_throttle_scope_key_at", table_name="mail_throttle")
    op.drop_table("mail_throttle")

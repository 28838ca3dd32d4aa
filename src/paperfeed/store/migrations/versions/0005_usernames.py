"""Usernames are unique regardless of case ("Alice" cannot impersonate "alice").

Revision ID: 0005_usernames
Revises: 0004_mail
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_usernames"
down_revision = "0004_mail"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_users_username_lower", "users", [sa.text("lower(username)")], unique=True)


def downgrade() -> None:
    op.drop_index("uq_users_username_lower", table_name="users")

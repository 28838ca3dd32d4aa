"""subscription topics: a digest can be limited to arXiv categories and keywords (empty: every paper).

Revision ID: 0015_subscription_topics
Revises: 0014_topic_map
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_subscription_topics"
down_revision = "0014_topic_map"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("topics", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("subscriptions", "topics")

"""search index: papers.modified_at indexed, so the on-disk keyword index finds what changed since its mark

Each search asks for the newest ``modified_at`` and a catch-up reads the papers modified since the index's
mark (paperfeed.search.keyword_sync); without this index both would scan the whole table.

Revision ID: 0010_search_index
Revises: 0009_admin
"""

from __future__ import annotations

from alembic import op

revision = "0010_search_index"
down_revision = "0009_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_papers_modified_at", "papers", ["modified_at"])


def downgrade() -> None:
    op.drop_index("ix_papers_modified_at", table_name="papers")

"""submission approval: who decided on a submission held for approval (PAPERFEED_SUBMISSIONS_NEED_APPROVAL),
and when.

Revision ID: 0012_submission_approval
Revises: 0011_fts_content
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_submission_approval"
down_revision = "0011_fts_content"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("decided_by", sa.String(64), nullable=True))
    op.add_column("submissions", sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("submissions", "decided_at")
    op.drop_column("submissions", "decided_by")

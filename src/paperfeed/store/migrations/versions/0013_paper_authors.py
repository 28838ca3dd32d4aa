"""paper authors: one row per author of each paper, keyed by the folded name follows use, so author pages
and "other papers by the authors" are index lookups. Backfilled from ``papers.authors`` in keyset batches.

Revision ID: 0013_paper_authors
Revises: 0012_submission_approval
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from paperfeed.domain.authors import author_key

revision = "0013_paper_authors"
down_revision = "0012_submission_approval"
branch_labels = None
depends_on = None

BATCH = 2000  # papers per read; about 10 authors each, so one insert of ~20,000 small rows

_papers = sa.table("papers", sa.column("id", sa.String), sa.column("authors", sa.JSON))
_paper_authors = sa.table(
    "paper_authors",
    sa.column("paper_id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("author_key", sa.String),
    sa.column("name", sa.Text),
)


def upgrade() -> None:
    op.create_table(
        "paper_authors",
        sa.Column("paper_id", sa.String(40), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("author_key", sa.String(200), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "position", name="pk_paper_authors"),
    )
    op.create_index("ix_paper_authors_author_key", "paper_authors", ["author_key"])
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    last = ""
    while True:
        rows = connection.execute(
            sa.select(_papers.c.id, _papers.c.authors)
            .where(_papers.c.id > last)
            .order_by(_papers.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = [
            {"paper_id": paper_id, "position": position, "author_key": key, "name": name}
            for paper_id, authors in rows
            for position, name in enumerate(authors or ())
            if (key := author_key(name))
        ]
        if values:
            connection.execute(_paper_authors.insert(), values)
        last = rows[-1].id


def downgrade() -> None:
    op.drop_index("ix_paper_authors_author_key", table_name="paper_authors")
    op.drop_table("paper_authors")

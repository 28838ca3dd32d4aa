"""topic map: the current map's points and topics, and a row per build.

Revision ID: 0014_topic_map
Revises: 0013_paper_authors
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_topic_map"
down_revision = "0013_paper_authors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "map_builds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("model", sa.String(120), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sample_size", sa.Integer, nullable=False),
        sa.Column("papers", sa.Integer, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_map_builds"),
    )
    op.create_table(
        "map_topics",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("words", sa.JSON, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("x", sa.Float, nullable=False),
        sa.Column("y", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_map_topics"),
    )
    op.create_table(
        "map_points",
        sa.Column("paper_id", sa.String(40), nullable=False),
        sa.Column("x", sa.Float, nullable=False),
        sa.Column("y", sa.Float, nullable=False),
        sa.Column("topic_id", sa.Integer, nullable=False),
        sa.Column("anchor", sa.Boolean, nullable=False),
        sa.Column("draw_order", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.id"], name="fk_map_points_paper_id_papers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("paper_id", name="pk_map_points"),
    )
    op.create_index("ix_map_points_topic_id", "map_points", ["topic_id"])
    op.create_index("ix_map_points_x", "map_points", ["x"])
    op.create_index("ix_map_points_anchor", "map_points", ["anchor"])
    op.create_index("ix_map_points_draw_order", "map_points", ["draw_order"])


def downgrade() -> None:
    op.drop_table("map_points")
    op.drop_table("map_topics")
    op.drop_table("map_builds")

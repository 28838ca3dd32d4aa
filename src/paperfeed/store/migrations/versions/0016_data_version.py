"""data version: one row whose number grows, in the same transaction, with every change to what anonymous
pages show, so the page cache of every worker on every node can tell a cached page from a stale one with one
primary-key read.

Kept by triggers, not by the services, so that every writer counts: the web workers, `paperfeed ingest`, the
sync job, an admin with psql. SQLite: row triggers (one writer at a time, nothing to contend). PostgreSQL:
deferred constraint triggers, so the one row is updated at commit, after the transaction's other locks are
taken (updating it mid-transaction would let two overlapping ingests deadlock on it), and once per
transaction (a transaction-local setting remembers the bump).

Revision ID: 0016_data_version
Revises: 0015_subscription_topics
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_data_version"
down_revision = "0015_subscription_topics"
branch_labels = None
depends_on = None

# Frozen here (a migration must not follow later edits); store/data_version.py lists the same tables and a
# test checks the two agree with store/models.py.
WATCHED = (
    "papers",
    "feed_entries",
    "votes",
    "comments",
    "users",
    "collections",
    "collection_items",
    "submissions",
    "paper_vectors",
    "map_builds",
    "map_topics",
    "map_points",
)
SQLITE_NOW = "((julianday('now') - 2440587.5) * 86400.0)"


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("changed_at", sa.Float, nullable=False),
    )
    op.execute("INSERT INTO data_version (id, version, changed_at) VALUES (1, 1, 0)")
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER data_version_{table}_{event.lower()} AFTER {event} ON {table} BEGIN "
                    f"UPDATE data_version SET version = version + 1, changed_at = {SQLITE_NOW} WHERE id = 1; "
                    "END"
                )
        return
    op.execute(
        """CREATE FUNCTION paperfeed_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF coalesce(current_setting('paperfeed.data_version_bumped', true), '') <> txid_current()::text THEN
                UPDATE data_version SET version = version + 1,
                    changed_at = extract(epoch FROM clock_timestamp()) WHERE id = 1;
                PERFORM set_config('paperfeed.data_version_bumped', txid_current()::text, true);
            END IF;
            RETURN NULL;
        END $$"""
    )
    for table in WATCHED:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER data_version_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION paperfeed_bump_data_version()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{event}")
    else:
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS data_version_{table} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS paperfeed_bump_data_version()")
    op.drop_table("data_version")

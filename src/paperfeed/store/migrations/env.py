"""Alembic environment: runs on the connection the application hands over (see Database.migrate)."""

from __future__ import annotations

from alembic import context

from paperfeed.store.models import Base, include_object

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic` on the command line
    import sqlalchemy as sa

    from paperfeed.config import get_settings

    connection = sa.create_engine(get_settings().resolved_database_url).connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

"""One home for the schema: the models equal the migrated database on both backends, every migration
downgrades, and the revisions form one line."""

from __future__ import annotations

import warnings

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from paperfeed.store import Database
from paperfeed.store.db import alembic_config
from paperfeed.store.models import Base, include_object


def _differences(db: Database) -> list[object]:
    with db.engine.connect() as connection, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy cannot reflect expression indexes; they are SEARCH_OWNED
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        return list(compare_metadata(context, Base.metadata))


def test_models_match_the_migrated_database(db: Database) -> None:
    assert _differences(db) == []


def test_every_migration_downgrades_and_upgrades_again(db: Database) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    left = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert left == set()
    db.migrate()
    assert _differences(db) == []
    assert {"papers", "library_items", "ratings", "follows", "paper_vectors"} <= set(
        sa.inspect(db.engine).get_table_names()
    )


def test_revisions_form_one_line() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        assert revision.down_revision is None or isinstance(revision.down_revision, str), revision.revision

"""fts content: the keyword indexes hold exactly what their content holds (issue #11, finding 19)

SQLite: 0002's FTS5 table named ``papers`` as its external content but indexed the author names decoded from
the JSON column, whose text holds them escaped (``"M\\u00fcller"``). The index then disagreed with its
content: ``integrity-check`` called a healthy database malformed, and a ``rebuild`` (which reads the content)
would have indexed ``u00fcller`` and lost author search for every non-ASCII name. Now the content is a view
whose ``authors`` column is the decoded names, kept in ``papers_fts_authors`` by the same triggers (FTS5 reads
its content without virtual tables, so the view cannot call ``json_each`` itself). Deleting from the index
uses the names as they were indexed, from that table.

PostgreSQL: the weighted tsvector read ``authors::text``, the same escaped JSON, so "Müller" was never found
as an author; it now indexes the JSON's string values (``jsonb_to_tsvector``).

Revision ID: 0011_fts_content
Revises: 0010_search_index
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0011_fts_content"
down_revision = "0010_search_index"
branch_labels = None
depends_on = None

TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"


def _decoded(row: str) -> str:
    """The author names of ``row`` as plain text, one string ("José Müller, Ada Lovelace")."""
    return f"(SELECT coalesce(group_concat(value, ', '), '') FROM json_each({row}.authors))"


_INDEXED = "(SELECT authors FROM papers_fts_authors WHERE paper_id = {}.id)"  # the names as indexed

SQLITE_DROP_0002 = [
    "DROP TRIGGER papers_fts_update",
    "DROP TRIGGER papers_fts_delete",
    "DROP TRIGGER papers_fts_insert",
    "DROP TABLE papers_fts",
]

SQLITE_UP = [
    *SQLITE_DROP_0002,
    "CREATE TABLE papers_fts_authors (paper_id VARCHAR(40) NOT NULL PRIMARY KEY, authors TEXT NOT NULL)",
    f"INSERT INTO papers_fts_authors (paper_id, authors) SELECT id, {_decoded('papers')} FROM papers",
    """CREATE VIEW papers_fts_source AS
        SELECT p.rowid AS paper_rowid, p.title AS title, coalesce(a.authors, '') AS authors, p.abstract AS abstract
        FROM papers p LEFT JOIN papers_fts_authors a ON a.paper_id = p.id""",
    f"""CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, authors, abstract, content='papers_fts_source', content_rowid='paper_rowid', {TOKENIZE})""",
    f"""CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts_authors (paper_id, authors) VALUES (new.id, {_decoded("new")});
        INSERT INTO papers_fts (rowid, title, authors, abstract)
        VALUES (new.rowid, new.title, {_INDEXED.format("new")}, new.abstract);
    END""",
    f"""CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.rowid, old.title, coalesce({_INDEXED.format("old")}, ''), old.abstract);
        DELETE FROM papers_fts_authors WHERE paper_id = old.id;
    END""",
    f"""CREATE TRIGGER papers_fts_update AFTER UPDATE OF id, title, authors, abstract ON papers BEGIN
        INSERT INTO papers_fts (papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.rowid, old.title, coalesce({_INDEXED.format("old")}, ''), old.abstract);
        DELETE FROM papers_fts_authors WHERE paper_id = old.id;
        INSERT INTO papers_fts_authors (paper_id, authors) VALUES (new.id, {_decoded("new")});
        INSERT INTO papers_fts (rowid, title, authors, abstract)
        VALUES (new.rowid, new.title, {_INDEXED.format("new")}, new.abstract);
    END""",
    "INSERT INTO papers_fts (papers_fts) VALUES ('rebuild')",
]

# Back to 0002 as it was (its triggers, and its index built from the decoded names).
SQLITE_DOWN = [
    *SQLITE_DROP_0002,
    "DROP VIEW papers_fts_source",
    "DROP TABLE papers_fts_authors",
    f"""CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, authors, abstract, content='papers', content_rowid='rowid', {TOKENIZE})""",
    f"""CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts(rowid, title, authors, abstract)
        VALUES (new.rowid, new.title, {_decoded("new")}, new.abstract);
    END""",
    f"""CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.rowid, old.title, {_decoded("old")}, old.abstract);
    END""",
    f"""CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, authors, abstract ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.rowid, old.title, {_decoded("old")}, old.abstract);
        INSERT INTO papers_fts(rowid, title, authors, abstract)
        VALUES (new.rowid, new.title, {_decoded("new")}, new.abstract);
    END""",
    f"""INSERT INTO papers_fts(rowid, title, authors, abstract)
        SELECT rowid, title, {_decoded("papers")}, abstract FROM papers""",
]


def _postgres(authors: str) -> list[str]:
    """Replace the generated tsvector (and its index) with one whose authors part is ``authors``."""
    return [
        "ALTER TABLE papers DROP COLUMN search_tsv",  # drops ix_papers_search_tsv with it
        f"""ALTER TABLE papers ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
            setweight({authors}, 'B') ||
            setweight(to_tsvector('english', coalesce(abstract, '')), 'C')) STORED""",
        "CREATE INDEX ix_papers_search_tsv ON papers USING gin (search_tsv)",
    ]


POSTGRES_UP = _postgres("jsonb_to_tsvector('simple', coalesce(authors::jsonb, '[]'::jsonb), '[\"string\"]')")
POSTGRES_DOWN = _postgres("to_tsvector('simple', coalesce(authors::text, ''))")


def upgrade() -> None:
    _without_nul_in_authors()
    for statement in SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def _without_nul_in_authors() -> None:
    """Author names stored before ingest cleaned NULs hold a JSON ``\\u0000``: PostgreSQL's json keeps it but
    cannot turn it into text, so the new tsvector could not be computed for that row (nor the migration end)."""
    bind = op.get_bind()
    has_nul = "instr(authors, :nul)" if bind.dialect.name == "sqlite" else "strpos(authors::text, :nul)"
    rows = bind.execute(
        sa.text(f"SELECT id, CAST(authors AS TEXT) FROM papers WHERE {has_nul} > 0"), {"nul": "\\u0000"}
    ).all()
    for paper_id, authors in rows:
        names = [n.replace("\x00", "") if isinstance(n, str) else n for n in json.loads(authors)]
        cast = ":names" if bind.dialect.name == "sqlite" else "CAST(:names AS json)"
        bind.execute(
            sa.text(f"UPDATE papers SET authors = {cast} WHERE id = :id"),
            {"names": json.dumps(names), "id": paper_id},
        )


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)

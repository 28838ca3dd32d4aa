"""search: keyword indexes kept in step with papers, and the paper vectors table

SQLite: an FTS5 external-content table over papers (title, authors, abstract) kept in step by triggers, so
every ingest path is indexed without knowing search exists. PostgreSQL: a generated, weighted tsvector
column (title A, authors B, abstract C) with a GIN index, and pgvector for the vectors with an HNSW index.
Both: a case-insensitive index on the title, so an exact title typed into the search box is found at once.

Revision ID: 0002_search
Revises: 0001
Create Date: 2026-11-24 10:35:00
"""

from __future__ import annotations

from alembic import op

revision = "0002_search"
down_revision = "0001"
branch_labels = None
depends_on = None

VECTOR_DIM = 384  # the pgvector column is typed: an HNSW index needs a fixed dimension


def _authors(row: str) -> str:
    """Author names as plain text: the JSON column escapes non-ASCII ("M\\u00fcller"), FTS must see "Müller"."""
    return f"(SELECT coalesce(group_concat(value, ', '), '') FROM json_each({row}.authors))"


SQLITE_UP = [
    """CREATE VIRTUAL TABLE papers_fts USING fts5(
        title, authors, abstract, content='papers', content_rowid='rowid',
        tokenize='porter unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER papers_fts_insert AFTER INSERT ON papers BEGIN
        INSERT INTO papers_fts(rowid, title, authors, abstract)
        VALUES (new.rowid, new.title, {_authors("new")}, new.abstract);
    END""",
    f"""CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.rowid, old.title, {_authors("old")}, old.abstract);
    END""",
    f"""CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, authors, abstract ON papers BEGIN
        INSERT INTO papers_fts(papers_fts, rowid, title, authors, abstract)
        VALUES ('delete', old.rowid, old.title, {_authors("old")}, old.abstract);
        INSERT INTO papers_fts(rowid, title, authors, abstract)
        VALUES (new.rowid, new.title, {_authors("new")}, new.abstract);
    END""",
    f"""INSERT INTO papers_fts(rowid, title, authors, abstract)
        SELECT rowid, title, {_authors("papers")}, abstract FROM papers""",
    """CREATE TABLE paper_vectors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        paper_id VARCHAR(40) NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        model VARCHAR(120) NOT NULL,
        content_hash VARCHAR(64) NOT NULL,
        vector BLOB NOT NULL,
        created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        CONSTRAINT uq_paper_vectors_paper_model UNIQUE (paper_id, model))""",
    "CREATE INDEX ix_paper_vectors_model_id ON paper_vectors (model, id)",
    "CREATE INDEX ix_papers_title_lower ON papers (lower(title))",
]

SQLITE_DOWN = [
    "DROP INDEX ix_papers_title_lower",
    "DROP TABLE paper_vectors",
    "DROP TRIGGER papers_fts_update",
    "DROP TRIGGER papers_fts_delete",
    "DROP TRIGGER papers_fts_insert",
    "DROP TABLE papers_fts",
]

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS vector",
    """ALTER TABLE papers ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(authors::text, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(abstract, '')), 'C')) STORED""",
    "CREATE INDEX ix_papers_search_tsv ON papers USING gin (search_tsv)",
    "CREATE INDEX ix_papers_title_lower ON papers (lower(title))",
    f"""CREATE TABLE paper_vectors (
        id BIGSERIAL PRIMARY KEY,
        paper_id VARCHAR(40) NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
        model VARCHAR(120) NOT NULL,
        content_hash VARCHAR(64) NOT NULL,
        vector vector({VECTOR_DIM}) NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT uq_paper_vectors_paper_model UNIQUE (paper_id, model))""",
    "CREATE INDEX ix_paper_vectors_model_id ON paper_vectors (model, id)",
    """CREATE INDEX ix_paper_vectors_hnsw ON paper_vectors
        USING hnsw (vector vector_cosine_ops) WITH (m = 16, ef_construction = 64)""",
]

POSTGRES_DOWN = [
    "DROP TABLE paper_vectors",
    "DROP INDEX ix_papers_title_lower",
    "DROP INDEX ix_papers_search_tsv",
    "ALTER TABLE papers DROP COLUMN search_tsv",
]


def upgrade() -> None:
    for statement in SQLITE_UP if op.get_bind().dialect.name == "sqlite" else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if op.get_bind().dialect.name == "sqlite" else POSTGRES_DOWN:
        op.execute(statement)

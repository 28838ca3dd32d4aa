"""Storage: SQLAlchemy models, repositories and migrations for SQLite and PostgreSQL."""

from paperfeed.store.db import Database

__all__ = ["Database"]

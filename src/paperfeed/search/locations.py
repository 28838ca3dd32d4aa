"""Where a database's node-local search indexes live on disk.

The database is the source of truth; these folders only hold what can be rebuilt from it. A SQLite file keeps
them beside itself (``<folder>/index/<file stem>/``, so two databases in one folder never share one). A
PostgreSQL database is shared by many nodes, each with its own copy under ``PAPERFEED_INDEX_DIR`` (default
``$PAPERFEED_HOME/index``), in a folder named after the server and database.
"""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from paperfeed.config import get_settings


def index_root(database_url: str) -> Path:
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ValueError("an in-memory SQLite database has no place for on-disk search indexes")
        path = Path(url.database).resolve()
        return path.parent / "index" / path.stem
    settings = get_settings()
    base = Path(settings.index_dir) if settings.index_dir else settings.home / "index"
    name = f"pg-{url.host or 'local'}-{url.port or 5432}-{url.database or 'postgres'}"
    return base / re.sub(r"[^A-Za-z0-9._-]+", "_", name)

"""Settings: one object, read from ``PAPERFEED_*`` environment variables and an optional ``.env``.

Nothing secret has a working default: unless ``PAPERFEED_SECRET_KEY`` is set, the session/token signing key
is generated at random on first use and kept in the database, so every worker and node signs alike.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "share") / "paperfeed"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAPERFEED_", env_file=".env", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    database_url: str | None = None
    secret_key: str | None = None
    base_url: str = "http://127.0.0.1:8000"

    # arXiv's terms: at most one request every three seconds, on one connection.
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    oai_url: str = "https://oaipmh.arxiv.org/oai"
    request_interval_s: float = 3.0
    http_timeout_s: float = 30.0
    http_retries: int = 4
    user_agent: str = "paperfeed/0.1 (self-hosted paper discovery; mailto:admin@localhost)"

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "none"  # none | starttls | ssl
    mail_from: str = "paperfeed <digest@localhost>"
    digest_scheduler: bool = False  # build and send due digests from inside `paperfeed serve`
    digest_hour_utc: int = 6  # a day's digests are built from this hour (UTC) on

    # The daily sync (`paperfeed sync`, and inside `serve` once categories are set).
    sync_categories: str = ""  # comma-separated arXiv categories, e.g. cs.LG,cs.CL,cs.CV
    sync_hour_utc: int = 3  # arXiv announces around 00:00-01:00 UTC; sync after
    sync_hugging_face: bool = False  # also Hugging Face's daily papers (featured day, submitter, upvotes)
    # Submissions wait for an admin's approval on /admin before they are featured.
    submissions_need_approval: bool = False
    hf_daily_url: str = "https://huggingface.co/api/daily_papers"

    # Where a PostgreSQL deployment keeps its node-local search indexes (keyword index, saved vector graph);
    # empty means $PAPERFEED_HOME/index. A SQLite database keeps them next to its file.
    index_dir: str = ""

    log_level: str = "info"
    log_format: str = "json"  # json | text

    # Running behind a reverse proxy: the proxies (addresses or networks, comma-separated) whose
    # X-Forwarded-For/-Proto headers are believed. Empty: none is, and the peer's address is the client's.
    forwarded_allow_ips: str = ""
    # PostgreSQL connections per process: each serve worker, the serve supervisor and every CLI command
    # holds up to pool_size + max_overflow; all of them together must stay under max_connections. Kept
    # open rather than overflowing: an overflow connection is closed after each use, so a busy worker would
    # open one per query (benchmarks/web_load.py: 2 workers, signed in, 12 req/s with 5 + 5, 78 with 12 + 0).
    db_pool_size: int = 10
    db_max_overflow: int = 0
    # Keep anonymous pages in each worker until the data they show changes (web/page_cache.py).
    page_cache: bool = True

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'paperfeed.sqlite3'}"

    def resolved_secret_key(self) -> str:
        """The signing key: from the environment, else the one stored in the database, made once for the
        whole installation (a ``$PAPERFEED_HOME/secret.key`` of an older install is adopted, not replaced).

        The database is where every worker and node finds the same key; a key per node would reject on one
        node the sessions and links signed on another. (``store`` is imported here, not at the top, because
        it reads these settings itself.)
        """
        if self.secret_key:
            return self.secret_key
        from paperfeed.store.instance import signing_key_for_url

        return signing_key_for_url(self.resolved_database_url, self.home / "secret.key")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

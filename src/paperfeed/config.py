"""Settings: one object, read from ``PAPERFEED_*`` environment variables and an optional ``.env``.

Nothing secret has a working default: the session/token signing key is generated at random on first use
and kept in ``$PAPERFEED_HOME/secret.key`` (mode 0600) unless ``PAPERFEED_SECRET_KEY`` is set.
"""

from __future__ import annotations

import os
import secrets
import tempfile
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
    hf_daily_url: str = "https://huggingface.co/api/daily_papers"

    # Where a PostgreSQL deployment keeps its node-local search indexes (keyword index, saved vector graph);
    # empty means $PAPERFEED_HOME/index. A SQLite database keeps them next to its file.
    index_dir: str = ""

    log_level: str = "info"
    log_format: str = "json"  # json | text

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'paperfeed.sqlite3'}"

    def resolved_secret_key(self) -> str:
        """The signing key: from the environment, or created once per install and kept private.

        Several server workers may start at once on a fresh install: the key is written to a private temp
        file and linked into place, so every worker reads the same complete key and none ever an empty one.
        """
        if self.secret_key:
            return self.secret_key
        path = self.home / "secret.key"
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.home, prefix=".secret-")  # created with mode 0600
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
                os.link(tmp, path)  # atomic; fails if another process won the race, whose key we then read
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
        key = path.read_text().strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} holds no usable secret key; delete it to have a new one made")
        return key


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

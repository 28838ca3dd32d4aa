"""Structured logs: one JSON object a line on stderr, so that a self-hoster can ship them anywhere.

`PAPERFEED_LOG_FORMAT=text` gives the plain human format for a terminal.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from paperfeed.config import get_settings

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Time, level, logger, message, exception, plus any ``extra={...}`` fields given to the log call."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        payload.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Install the root handler once; level and format default to the settings (PAPERFEED_LOG_LEVEL /
    PAPERFEED_LOG_FORMAT, also from a .env file)."""
    settings = get_settings()
    level = (level or settings.log_level).upper()
    fmt = fmt or settings.log_format
    handler = logging.StreamHandler()
    plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(JsonFormatter() if fmt == "json" else plain)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

"""Structured logs: one JSON object a line on stderr, so that a self-hoster can ship them anywhere.

`PAPERFEED_LOG_FORMAT=text` gives the plain human format for a terminal.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

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
    """Install the root handler once; level and format default to PAPERFEED_LOG_LEVEL / _FORMAT."""
    level = (level or os.environ.get("PAPERFEED_LOG_LEVEL", "info")).upper()
    fmt = fmt or os.environ.get("PAPERFEED_LOG_FORMAT", "json")
    handler = logging.StreamHandler()
    plain = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    handler.setFormatter(JsonFormatter() if fmt == "json" else plain)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

"""Structured logs are one parseable JSON object a line, extra fields included."""

from __future__ import annotations

import json
import logging
import sys

from paperfeed.logs import JsonFormatter


def test_a_log_line_is_json_with_the_extra_fields_and_the_exception():
    try:
        raise ValueError("bad <paper>")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.getLogger("paperfeed.test").makeRecord(
        "paperfeed.test",
        logging.ERROR,
        __file__,
        1,
        "ingest of %s failed",
        ("x.jsonl",),
        exc_info,
        extra={"job": "oai", "page": 3},
    )
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "ingest of x.jsonl failed" and line["level"] == "error"
    assert (line["job"], line["page"]) == ("oai", 3)
    assert "ValueError: bad <paper>" in line["exc"]

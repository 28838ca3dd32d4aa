"""Links that third-party metadata carries (code repositories, project pages).

They end up in ``href`` attributes, where escaping does not help against ``javascript:`` or ``data:``
URLs, so only absolute http(s) URLs are kept; a bare ``github.com/x/y`` is read as https.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_BARE_HOST = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+(/|$)", re.IGNORECASE)


def web_url(value: str | None) -> str | None:
    """``value`` as an absolute http(s) URL, or None if it is anything else."""
    if not value:
        return None
    text = value.strip()
    if _BARE_HOST.match(text):
        text = "https://" + text
    if any(ch in text for ch in "\\\x00\r\n\t") or " " in text:
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text

"""Rate limits for mail that strangers can trigger (the confirmation mail of a subscription request).

Without a limit, the public subscribe form would let anyone mail-bomb an address or use the site as a
spam cannon. Counts live in the database, so every web worker and process shares them; keys are stored
as SHA-256 digests, so the table holds no addresses or IPs in the clear, and rows older than a day are
pruned as new ones arrive.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from paperfeed.store.models import MailThrottleRow

KEEP = timedelta(days=1)


def _digest(scope: str, key: str) -> str:
    return hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()


def allow(session: Session, *, scope: str, key: str, limit: int, window: timedelta, now: datetime) -> bool:
    """True (and counted) if fewer than ``limit`` requests for this key happened in the last ``window``."""
    key_hash = _digest(scope, key)
    recent = session.scalar(
        sa.select(sa.func.count())
        .select_from(MailThrottleRow)
        .where(
            MailThrottleRow.scope == scope,
            MailThrottleRow.key_hash == key_hash,
            MailThrottleRow.created_at > now - window,
        )
    )
    if (recent or 0) >= limit:
        return False
    session.execute(sa.delete(MailThrottleRow).where(MailThrottleRow.created_at < now - KEEP))
    session.add(MailThrottleRow(scope=scope, key_hash=key_hash, created_at=now))
    session.flush()
    return True

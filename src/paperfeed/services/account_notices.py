"""Mail that tells an account's owner what the site would not tell a stranger.

Sign-up answers alike whether or not an address already has an account (audit finding 12), so the owner is
the one told, by mail: at most one such notice per address and day (the idempotency key), whatever the number
of attempts, so the form cannot be used to flood someone's inbox.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from paperfeed.config import Settings
from paperfeed.mail.compose import render_address_taken
from paperfeed.mail.outbox import enqueue
from paperfeed.store import Database


def notify_address_taken(
    db: Database,
    settings: Settings,
    *,
    email: str,
    username: str,
    now: datetime | None = None,
) -> int | None:
    """Queue the notice to ``email``; the outbox row's id, or None if one went out today already."""
    now = now or datetime.now(UTC)
    key = f"address-taken:{email.strip().lower()}:{now.date().isoformat()}"
    mail = render_address_taken(username=username, site_url=settings.base_url)
    try:
        with db.session() as session:
            row = enqueue(
                session,
                settings,
                key=key,
                kind="notice",
                recipient=email.strip().lower(),
                mail=mail,
                subscription_id=None,
                now=now,
            )
            return row.id
    except IntegrityError:  # today's notice to this address is queued or sent already
        return None

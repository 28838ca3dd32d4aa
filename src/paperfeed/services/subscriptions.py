"""Digest subscriptions: double opt-in, one-click leave, and no way to learn who is subscribed.

- A request only ever *sends a confirmation*; the subscription becomes ``active`` when the link in it is
  opened. The requested frequency (and the account, if any) travel inside the signed token, so a stranger
  cannot change someone's frequency or re-activate an address that left.
- Every request gets the same answer whether the address is new, pending, active or unsubscribed.
- Confirmation tokens expire (``CONFIRM_MAX_AGE``); unsubscribe tokens do not, because the link in a
  year-old digest must still work.
- Confirmation mails are rate-limited per address and per client IP (see ``mail.throttle``).
- A subscription can be limited to topics (arXiv categories and keywords, see ``domain.topics``); like the
  frequency they travel inside the signed token, and a signed-in owner changes them on the account page.
- A subscription is linked to an account (whose votes and interests pick the digest's personal papers) only
  when the address is the account's own; anyone else's address is subscribed as by a visitor, so a stranger
  cannot steer what someone else's digest recommends.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import quote

import sqlalchemy as sa
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperfeed.config import Settings
from paperfeed.domain.topics import parse_topics, topics_text
from paperfeed.mail.compose import render_confirmation
from paperfeed.mail.outbox import cancel_pending, enqueue
from paperfeed.mail.throttle import allow
from paperfeed.store import Database
from paperfeed.store.models import SubscriptionRow, UserRow

FREQUENCIES = ("daily", "weekly")
CONFIRM_MAX_AGE = timedelta(days=3)
CONFIRM_SALT = "paperfeed.digest.confirm"
UNSUBSCRIBE_SALT = "paperfeed.digest.unsubscribe"
PER_ADDRESS = (3, timedelta(hours=1))  # confirmation mails to one address per hour
PER_IP = (10, timedelta(hours=1))  # subscription requests from one client per hour
EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


class InvalidToken(ValueError):
    """A confirm/unsubscribe link that was altered, truncated or (for confirmation) has expired."""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    email: str
    frequency: str
    status: str
    user_id: int | None
    topics: tuple[str, ...] = ()


def normalize_email(raw: str) -> str:
    """The address as stored: trimmed, domain lower-cased; a clear error naming the field otherwise."""
    email = (raw or "").strip()
    if len(email) > 254 or not EMAIL_RE.match(email):
        raise ValueError(f"email: {raw!r} is not an e-mail address (expected e.g. name@example.org)")
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_frequency(frequency: str) -> str:
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency: {frequency!r} is not one of {', '.join(FREQUENCIES)}")
    return frequency


def _confirm_signer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.resolved_secret_key(), salt=CONFIRM_SALT)


def _unsubscribe_signer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.resolved_secret_key(), salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(settings: Settings, subscription_id: int, email: str) -> str:
    return _unsubscribe_signer(settings).dumps({"s": subscription_id, "e": email})


def unsubscribe_links(settings: Settings, subscription_id: int, email: str) -> tuple[str, str]:
    """The https link (page and RFC 8058 POST target) and the mailto alternative for List-Unsubscribe."""
    token = unsubscribe_token(settings, subscription_id, email)
    mailbox = parseaddr(settings.mail_from)[1] or "digest@localhost"
    site = settings.base_url.rstrip("/")
    return f"{site}/unsubscribe/{token}", f"mailto:{mailbox}?subject={quote('unsubscribe ' + token)}"


def request_subscription(
    db: Database,
    settings: Settings,
    *,
    email: str,
    frequency: str = "daily",
    topics: str = "",
    user_id: int | None = None,
    client_ip: str | None = None,
    now: datetime | None = None,
) -> int | None:
    """Queue a confirmation mail for ``email``; returns its outbox id, or None when rate-limited.

    The caller shows the same page either way (and should deliver the returned id right away).
    """
    email, frequency = normalize_email(email), check_frequency(frequency)
    wanted = topics_text(parse_topics(topics))  # TopicsError (a ValueError) names a bad field
    now = now or datetime.now(UTC)
    try:
        return _request(db, settings, email, (frequency, wanted), user_id, client_ip, now)
    except IntegrityError:  # the same new address submitted twice at once: the other request created it
        return _request(db, settings, email, (frequency, wanted), user_id, client_ip, now)


def _request(
    db: Database,
    settings: Settings,
    email: str,
    choice: tuple[str, str],
    user_id: int | None,
    client_ip: str | None,
    now: datetime,
) -> int | None:
    frequency, topics = choice
    with db.session() as session:
        if client_ip and not allow(
            session, scope="ip", key=client_ip, limit=PER_IP[0], window=PER_IP[1], now=now
        ):
            return None
        if not allow(
            session, scope="address", key=email.lower(), limit=PER_ADDRESS[0], window=PER_ADDRESS[1], now=now
        ):
            return None
        row = session.scalar(sa.select(SubscriptionRow).where(_same_address(email)))
        if row is None:
            row = SubscriptionRow(email=email, frequency=frequency, status="pending", created_at=now)
            session.add(row)
            session.flush()
        owner = user_id if _owns_address(session, user_id, email) else None
        token = _confirm_signer(settings).dumps(
            {"s": row.id, "e": row.email, "f": frequency, "u": owner, "t": topics}
        )
        mail = render_confirmation(
            confirm_url=f"{settings.base_url.rstrip('/')}/confirm/{token}",
            frequency=frequency,
            site_url=settings.base_url,
        )
        key = f"confirm:{row.id}:{secrets.token_hex(8)}"  # every request may send one (within limits)
        return enqueue(
            session,
            settings,
            key=key,
            kind="confirm",
            recipient=row.email,
            mail=mail,
            subscription_id=row.id,
            now=now,
        ).id


def confirm_subscription(
    db: Database, settings: Settings, token: str, *, now: datetime | None = None
) -> Subscription:
    """Activate the subscription named by a confirmation link (idempotent: a second click changes nothing)."""
    try:
        data, issued = _confirm_signer(settings).loads(
            token, max_age=int(CONFIRM_MAX_AGE.total_seconds()), return_timestamp=True
        )
    except SignatureExpired as error:
        raise InvalidToken("This confirmation link has expired; subscribe again to get a new one.") from error
    except BadSignature as error:
        raise InvalidToken("This confirmation link is not valid; check that it was copied whole.") from error
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = session.get(SubscriptionRow, data["s"], with_for_update=True)
        if row is None or row.email != data["e"]:
            raise InvalidToken("This confirmation link belongs to a subscription that no longer exists.")
        left = row.unsubscribed_at
        if row.status == "unsubscribed" and left is not None and issued < left.replace(microsecond=0):
            # An old link must not undo a later "unsubscribe"; only a fresh request can.
            raise InvalidToken("This confirmation link is older than your unsubscription; subscribe again.")
        if row.status != "active":
            row.status, row.confirmed_at, row.unsubscribed_at = "active", now, None
        row.frequency = check_frequency(data["f"])
        if "t" in data:  # links mailed before topics existed leave them as they are
            row.topics = topics_text(parse_topics(data["t"])) or None
        if data.get("u") is not None and _owns_address(session, data["u"], row.email):
            row.user_id = data["u"]
        return _subscription(row)


def check_unsubscribe_token(settings: Settings, token: str) -> dict[str, object]:
    """The token's content, or InvalidToken: the unsubscribe page checks before showing its button."""
    try:
        return _unsubscribe_signer(settings).loads(token)
    except BadSignature as error:
        raise InvalidToken("This unsubscribe link is not valid; check that it was copied whole.") from error


def unsubscribe_by_token(
    db: Database, settings: Settings, token: str, *, now: datetime | None = None
) -> Subscription:
    data = check_unsubscribe_token(settings, token)
    return _unsubscribe(db, sa.and_(SubscriptionRow.id == data["s"], SubscriptionRow.email == data["e"]), now)


def unsubscribe_email(db: Database, email: str, *, now: datetime | None = None) -> Subscription:
    """The admin's way (``paperfeed unsubscribe EMAIL``), e.g. after a request by mail."""
    return _unsubscribe(db, _same_address(normalize_email(email)), now)


def _unsubscribe(db: Database, where: sa.ColumnElement[bool], now: datetime | None) -> Subscription:
    now = now or datetime.now(UTC)
    with db.session() as session:
        row = session.scalar(sa.select(SubscriptionRow).where(where).with_for_update())
        if row is None:
            raise LookupError("No subscription for this address.")
        if row.status != "unsubscribed":
            row.status, row.unsubscribed_at = "unsubscribed", now
        cancel_pending(session, row.id, "unsubscribed")
        return _subscription(row)


def get_subscription(db: Database, email: str) -> Subscription | None:
    with db.sessions() as session:
        row = session.scalar(sa.select(SubscriptionRow).where(_same_address(normalize_email(email))))
        return _subscription(row) if row else None


def subscription_of(db: Database, user_id: int) -> Subscription | None:
    """The subscription linked to an account (confirmed from its own address), for the account page."""
    with db.sessions() as session:
        row = session.scalar(
            sa.select(SubscriptionRow).where(SubscriptionRow.user_id == user_id).order_by(SubscriptionRow.id)
        )
        return _subscription(row) if row else None


def change_subscription(db: Database, user_id: int, *, frequency: str, topics: str) -> Subscription:
    """The account owner changes their digest's frequency and topics (LookupError without one)."""
    frequency, wanted = check_frequency(frequency), topics_text(parse_topics(topics))
    with db.session() as session:
        row = session.scalar(
            sa.select(SubscriptionRow).where(SubscriptionRow.user_id == user_id).with_for_update()
        )
        if row is None:
            raise LookupError("This account has no digest subscription; subscribe first.")
        row.frequency, row.topics = frequency, wanted or None
        return _subscription(row)


def leave_subscription(db: Database, user_id: int, *, now: datetime | None = None) -> Subscription:
    """Unsubscribe the account's own subscription from the account page (LookupError without one)."""
    return _unsubscribe(db, SubscriptionRow.user_id == user_id, now)


def _owns_address(session: Session, user_id: int | None, email: str) -> bool:
    """Whether ``email`` is the address of account ``user_id`` (checked again at confirmation: it may have
    changed since the request)."""
    if user_id is None:
        return False
    own = session.scalar(sa.select(UserRow.email).where(UserRow.id == user_id))
    return own is not None and own.lower() == email.lower()


def _same_address(email: str) -> sa.ColumnElement[bool]:
    """Addresses compare case-insensitively: ``Ann@X.org`` cannot subscribe again as ``ann@x.org``."""
    return sa.func.lower(SubscriptionRow.email) == email.lower()


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(row.id, row.email, row.frequency, row.status, row.user_id, parse_topics(row.topics))

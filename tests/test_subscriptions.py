"""Double opt-in: nothing but a confirmation mail until its link is opened; leaving takes one click."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from paperfeed.config import Settings
from paperfeed.mail.outbox import outbox_counts, send_pending
from paperfeed.services import accounts, community
from paperfeed.services.digest import run_digest
from paperfeed.services.feed import feed_page, period_of
from paperfeed.services.subscriptions import (
    CONFIRM_MAX_AGE,
    CONFIRM_SALT,
    InvalidToken,
    confirm_subscription,
    get_subscription,
    request_subscription,
    unsubscribe_by_token,
    unsubscribe_email,
)
from paperfeed.store import Database
from tests.support.smtp import SmtpServer, add_papers

DAY = date(2026, 6, 30)
MORNING = datetime(2026, 6, 30, 7, 0, tzinfo=UTC)


def confirm_token(message) -> str:  # noqa: ANN001
    match = re.search(r"http://testserver/confirm/(\S+)", message.get_body(("plain",)).get_content())
    assert match, "no confirmation link in the mail"
    return match.group(1)


def subscribe_and_get_token(db: Database, settings: Settings, smtp: SmtpServer, address: str, **kw) -> str:  # noqa: ANN003
    outbox_id = request_subscription(db, settings, email=address, **kw)
    assert outbox_id is not None
    assert send_pending(db, settings, only_ids=[outbox_id]).sent == 1
    return confirm_token(smtp.sink.messages[-1])


def test_subscription_starts_only_after_the_link_is_opened(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    add_papers(db, DAY, 3)
    token = subscribe_and_get_token(db, settings, smtp_server, "Ann@Example.ORG", frequency="daily")
    [confirmation] = smtp_server.sink.messages
    assert confirmation["To"] == "Ann@example.org" and "Confirm" in confirmation["Subject"]
    assert token in confirmation.get_body(("html",)).get_content()
    assert get_subscription(db, "ann@example.org").status == "pending"

    run_digest(db, settings, frequency="daily", now=MORNING)
    assert len(smtp_server.sink.messages) == 1  # pending: no digest

    subscription = confirm_subscription(db, settings, token)
    assert (subscription.status, subscription.frequency) == ("active", "daily")
    assert confirm_subscription(db, settings, token).status == "active"  # a second click is harmless
    run_digest(db, settings, frequency="daily", now=MORNING + timedelta(days=1, hours=-1))
    assert smtp_server.sink.recipients()[-1] == "Ann@example.org"


def test_subscribing_again_answers_the_same_and_resends_within_limits(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    first = subscribe_and_get_token(db, settings, smtp_server, "bob@example.org")
    confirm_subscription(db, settings, first)
    # An active address gets a fresh confirmation like a new one; the caller cannot tell them apart.
    assert isinstance(request_subscription(db, settings, email="bob@example.org"), int)
    assert isinstance(request_subscription(db, settings, email="new@example.org"), int)
    assert request_subscription(db, settings, email="BOB@example.org") is not None  # third this hour
    assert request_subscription(db, settings, email="bob@example.org") is None  # fourth: rate-limited
    later = datetime.now(UTC) + timedelta(hours=2)
    assert request_subscription(db, settings, email="bob@example.org", now=later) is not None
    assert get_subscription(db, "bob@example.org").status == "active"

    for n in range(10):
        queued = request_subscription(db, settings, email=f"x{n}@example.org", client_ip="192.0.2.7")
        assert queued is not None
    assert request_subscription(db, settings, email="y@example.org", client_ip="192.0.2.7") is None
    assert request_subscription(db, settings, email="y@example.org", client_ip="192.0.2.8") is not None


def test_frequency_changes_only_through_the_confirmation_link(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    confirm_subscription(db, settings, subscribe_and_get_token(db, settings, smtp_server, "c@example.org"))
    weekly = subscribe_and_get_token(db, settings, smtp_server, "c@example.org", frequency="weekly")
    assert get_subscription(db, "c@example.org").frequency == "daily"
    assert confirm_subscription(db, settings, weekly).frequency == "weekly"


def test_bad_and_expired_links_are_refused(db: Database, smtp_server: SmtpServer, tmp_path: Path) -> None:
    settings = smtp_server.settings(tmp_path)
    token = subscribe_and_get_token(db, settings, smtp_server, "d@example.org")
    with pytest.raises(InvalidToken, match="not valid"):
        confirm_subscription(db, settings, token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"))
    with pytest.raises(InvalidToken, match="not valid"):
        confirm_subscription(db, smtp_server.settings(tmp_path, secret_key="another-key"), token)

    class Backdated(TimestampSigner):
        def get_timestamp(self) -> int:  # a link mailed four days ago
            return int((datetime.now(UTC) - CONFIRM_MAX_AGE - timedelta(days=1)).timestamp())

    subscription = get_subscription(db, "d@example.org")
    old = URLSafeTimedSerializer(settings.resolved_secret_key(), salt=CONFIRM_SALT, signer=Backdated).dumps(
        {"s": subscription.id, "e": subscription.email, "f": "daily", "u": None}
    )
    with pytest.raises(InvalidToken, match="expired"):
        confirm_subscription(db, settings, old)
    assert get_subscription(db, "d@example.org").status == "pending"
    with pytest.raises(InvalidToken):
        unsubscribe_by_token(db, settings, "not-a-token")


def test_an_old_confirmation_link_cannot_undo_an_unsubscribe(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    token = subscribe_and_get_token(db, settings, smtp_server, "e@example.org")
    confirm_subscription(db, settings, token)
    unsubscribe_email(db, "e@example.org", now=datetime.now(UTC) + timedelta(seconds=2))
    with pytest.raises(InvalidToken, match="older than your unsubscription"):
        confirm_subscription(db, settings, token)
    assert get_subscription(db, "e@example.org").status == "unsubscribed"


def test_bad_addresses_are_named_in_the_error(db: Database, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, home=tmp_path, secret_key="k")  # type: ignore[call-arg]
    for bad in ["", "not-an-address", "a@b", "two@@example.org", "sp ace@example.org"]:
        with pytest.raises(ValueError, match="^email: "):
            request_subscription(db, settings, email=bad)
    with pytest.raises(ValueError, match="^frequency: 'hourly'"):
        request_subscription(db, settings, email="f@example.org", frequency="hourly")
    assert outbox_counts(db) == {}


def test_personal_picks_are_the_for_you_order_of_the_period_minus_trending_and_voted(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    settings = smtp_server.settings(tmp_path)
    today = add_papers(db, DAY, 16)  # external upvotes rise with n: the last ten trend
    older = add_papers(db, DAY - timedelta(days=20), 3, prefix="2605")  # outside the daily window
    user = accounts.sign_up(db, "reader", "correct horse battery", "g@example.org")
    community.upvote(db, user.id, older[0])
    community.upvote(db, user.id, today[0])
    token = subscribe_and_get_token(db, settings, smtp_server, "g@example.org", user_id=user.id)
    assert confirm_subscription(db, settings, token).user_id == user.id

    run_digest(db, settings, frequency="daily", now=MORNING)
    text = smtp_server.sink.messages[-1].get_body(("plain",)).get_content()
    trending_part, _, picks_part = text.partition("PICKED FOR YOU")
    trending = re.findall(r"/papers/(\S+)", trending_part)
    picked = re.findall(r"/papers/(\S+)", picks_part.split("--")[0])
    site = feed_page(db, period_of("day", DAY), sort="for_you", reader=user.id, now=MORNING)  # "For you"
    expected = [c.paper.id for c in site.cards if c.mark is None and c.paper.id not in trending][:5]
    assert picked == expected and picked, (picked, expected)
    assert set(picked) <= set(today) - set(trending) - {today[0]}
    assert older[0] not in text and today[0] not in text

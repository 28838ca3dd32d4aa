"""Audit finding 12, the mail half: sign-up does not tell a stranger that an address has an account, so the
address's owner is told instead, by a real mail through a real SMTP server, at most once a day."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from paperfeed.services import accounts
from paperfeed.store import Database
from paperfeed.web.app import create_app
from tests.support.live_server import csrf_of
from tests.support.smtp import SmtpServer


def _sign_up(client: TestClient, name: str, email: str) -> int:
    client.cookies.clear()
    answer = client.post(
        "/signup",
        data={
            "username": name,
            "password": "a long enough password for " + name,
            "email": email,
            "csrf_token": csrf_of(client),
        },
        follow_redirects=False,
    )
    return answer.status_code


def test_the_owner_of_a_taken_address_is_told_by_mail_once_a_day(
    db: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    accounts.sign_up(db, "owner", "a long enough password for the owner", "owner@example.org")
    with TestClient(create_app(smtp_server.settings(tmp_path), db)) as client:
        assert _sign_up(client, "fresh", "fresh@example.org") == 303
        assert smtp_server.sink.messages == []  # a new address gets no notice
        assert _sign_up(client, "copycat", "Owner@Example.org") == 303
        assert _sign_up(client, "copycat2", "owner@example.org") == 303
    [notice] = smtp_server.sink.messages
    assert smtp_server.sink.recipients() == ["owner@example.org"]
    assert notice["Subject"] == "Someone tried to sign up to paperfeed with your address"
    text = notice.get_body(("plain",)).get_content()
    assert '"copycat"' in text and "http://testserver/login" in text
    assert accounts.get_user_by_name(db, "copycat").email is None  # type: ignore[union-attr]

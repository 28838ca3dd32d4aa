"""Accounts: sign-up rules name the field, log-in does not reveal which part was wrong, tokens."""

from __future__ import annotations

import pytest

from paperfeed.services import accounts
from paperfeed.services.accounts import AccountError
from paperfeed.store import Database


@pytest.mark.parametrize(
    ("username", "password", "email", "field"),
    [
        ("ab", "long enough pw", None, "username"),
        ("has space", "long enough pw", None, "username"),
        ("alice", "short", None, "password"),
        ("alice", "long enough pw", "not-an-email", "email"),
    ],
)
def test_sign_up_errors_name_the_field(
    sqlite_db: Database, username: str, password: str, email: str | None, field: str
) -> None:
    with pytest.raises(AccountError) as error:
        accounts.sign_up(sqlite_db, username, password, email)
    assert error.value.field == field


def test_taken_username_and_email(db: Database) -> None:
    accounts.sign_up(db, "alice", "long enough pw", "alice@example.org")
    with pytest.raises(AccountError, match="username is already taken"):
        accounts.sign_up(db, "alice", "another long pw")
    # an address another account has: signed up like anyone else, without the address (issue #11, finding 12)
    assert accounts.sign_up(db, "alice2", "another long pw", "ALICE@example.org").email is None


def test_log_in_checks_the_password_and_stays_vague(db: Database) -> None:
    user = accounts.sign_up(db, "bob", "long enough pw")
    assert accounts.log_in(db, " bob ", "long enough pw") == user
    with pytest.raises(AccountError) as wrong_password:
        accounts.log_in(db, "bob", "wrong password")
    with pytest.raises(AccountError) as unknown_user:
        accounts.log_in(db, "nobody", "long enough pw")
    assert str(wrong_password.value) == str(unknown_user.value) == "Wrong username or password."


def test_a_new_token_replaces_the_old_one(db: Database) -> None:
    user = accounts.sign_up(db, "carol", "long enough pw")
    assert not accounts.has_api_token(db, user.id)
    old = accounts.new_api_token(db, user.id)
    assert accounts.user_for_token(db, old) == user
    new = accounts.new_api_token(db, user.id)
    assert accounts.user_for_token(db, old) is None and accounts.user_for_token(db, new) == user
    assert accounts.user_for_token(db, "pf_" + "x" * 43) is None and accounts.user_for_token(db, "") is None


def test_usernames_differing_only_in_case_are_the_same_account(db: Database) -> None:
    accounts.sign_up(db, "alice", "a long enough password")
    with pytest.raises(AccountError, match="username is already taken"):
        accounts.sign_up(db, "Alice", "another long password")
    assert accounts.log_in(db, "ALICE", "a long enough password").username == "alice"

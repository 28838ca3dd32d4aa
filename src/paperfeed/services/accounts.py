"""Accounts: sign-up, log-in and API tokens.

Passwords are hashed with argon2id (argon2-cffi's defaults, which follow RFC 9106's recommendations), and
must not be easy to guess: zxcvbn (Dropbox's estimator: common-password, word and name lists, keyboard
patterns, repeats, dates) must put them at score 3 or more, "safely unguessable" against an attacker who
holds the slow hashes; the reason for a refusal is zxcvbn's own sentence.
API tokens are 256-bit random strings, shown once and stored as a SHA-256 digest: a token has far more
entropy than a password, so a fast hash is enough and lets a request find its user with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from zxcvbn import zxcvbn

from paperfeed.store import Database
from paperfeed.store.models import UserRow

_hasher = PasswordHasher()
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # argon2 takes any length; the bound keeps a sign-up's work bounded
MIN_PASSWORD_SCORE = 3  # zxcvbn: 3 is over 10^10 guesses
_ESTIMATED_CHARS = 72  # zxcvbn refuses longer input (its matching is quadratic): it judges the start
_estimator = threading.Lock()  # zxcvbn keeps the user's own words in a module-level dictionary
MAX_EMAIL = 254  # RFC 5321's limit on a forward path; the column holds 320
# Verified against when the username is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


class AccountError(ValueError):
    """Bad sign-up or log-in input; ``field`` names the form field to point at."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    email: str | None = None
    is_admin: bool = False


def sign_up(
    db: Database, username: str, password: str, email: str | None = None, *, admin: bool = False
) -> User:
    """A new account. An e-mail address that another account has is left out rather than refused: the
    answer to a sign-up must not tell a stranger that an address has an account here."""
    username = username.strip()
    email = (email or "").strip().lower() or None
    if not USERNAME_RE.match(username):
        raise AccountError("username", "Username must be 3–32 letters, digits, '.', '_' or '-'.")
    if email is not None and len(email) > MAX_EMAIL:
        raise AccountError(
            "email", f"An e-mail address has at most {MAX_EMAIL} characters; this one has {len(email):,}."
        )
    if email is not None and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        raise AccountError("email", f"{email!r} is not an e-mail address.")
    check_password(password, username=username, email=email)
    password_hash = _hasher.hash(password)
    try:
        return _insert(db, username, email, password_hash, admin)
    except IntegrityError:
        if _find(db, _named(username)) or email is None:
            raise AccountError("username", "That username is already taken.") from None
    try:
        return _insert(db, username, None, password_hash, admin)  # the address stays its owner's
    except IntegrityError:
        raise AccountError("username", "That username is already taken.") from None


def _insert(db: Database, username: str, email: str | None, password_hash: str, admin: bool) -> User:
    with db.session() as session:
        row = UserRow(
            username=username,
            email=email,
            password_hash=password_hash,
            created_at=datetime.now(UTC),
            is_admin=admin,
        )
        session.add(row)
        session.flush()
        return _user(row)


def check_password(password: str, *, username: str, email: str | None = None) -> None:
    """:class:`AccountError` saying why ``password`` is refused: too short or long, only spaces, the
    username with little added, or too easy to guess by zxcvbn's estimate (which knows the user's name
    and address too)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError("password", f"Password must be at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password", f"Password must be at most {MAX_PASSWORD} characters.")
    if not password.strip():
        raise AccountError("password", "The password is only spaces; choose words or characters too.")
    name = username.strip().lower()
    if name and len(password.lower().replace(name, "")) < MIN_PASSWORD // 2:
        raise AccountError("password", "The password is your username with little added; choose another.")
    with _estimator:
        estimate = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=[username, email or ""])
    if estimate["score"] < MIN_PASSWORD_SCORE:
        feedback = estimate["feedback"]
        reason = " ".join([feedback["warning"] or "It would be guessed quickly.", *feedback["suggestions"]])
        raise AccountError("password", f"That password is too easy to guess. {reason}")


def log_in(db: Database, username: str, password: str) -> User:
    """The user whose password matches; one vague error either way, so names cannot be probed."""
    with db.sessions() as session:
        row = session.scalar(sa.select(UserRow).where(_named(username)))
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        row = None
    if row is None:
        raise AccountError("password", "Wrong username or password.")
    if row.disabled:
        raise AccountError("username", "This account has been disabled by the site's admins.")
    return _user(row)


def set_password(db: Database, user_id: int, password: str) -> None:
    """Replace the password (``paperfeed users set-password``, a password change); the same rules as at
    sign-up."""
    user = get_user(db, user_id)
    check_password(password, username=user.username if user else "", email=user.email if user else None)
    with db.session() as session:
        session.execute(
            sa.update(UserRow).where(UserRow.id == user_id).values(password_hash=_hasher.hash(password))
        )


def get_user(db: Database, user_id: int) -> User | None:
    return _find(db, UserRow.id == user_id)


def get_user_by_name(db: Database, username: str) -> User | None:
    return _find(db, _named(username))


def _named(username: str) -> sa.ColumnElement[bool]:
    """Usernames match without regard to case (a unique index on lower(username) keeps them distinct)."""
    return sa.func.lower(UserRow.username) == username.strip().lower()


def new_api_token(db: Database, user_id: int) -> str:
    """A fresh token replacing any previous one; the plain text exists only in the return value."""
    token = "pf_" + secrets.token_urlsafe(32)
    _set_token_hash(db, user_id, "api_token_hash", _token_digest(token))
    return token


def has_api_token(db: Database, user_id: int) -> bool:
    return _has_token(db, user_id, UserRow.api_token_hash)


def user_for_token(db: Database, token: str) -> User | None:
    if not token.startswith("pf_"):
        return None
    return _find(db, UserRow.api_token_hash == _token_digest(token))


def new_feed_token(db: Database, user_id: int) -> str:
    """A fresh secret for the reader's personal feed URL; the previous URL stops working at once."""
    token = "pff_" + secrets.token_urlsafe(24)
    _set_token_hash(db, user_id, "feed_token_hash", _token_digest(token))
    return token


def revoke_feed_token(db: Database, user_id: int) -> None:
    _set_token_hash(db, user_id, "feed_token_hash", None)


def has_feed_token(db: Database, user_id: int) -> bool:
    return _has_token(db, user_id, UserRow.feed_token_hash)


def _set_token_hash(db: Database, user_id: int, column: str, digest: str | None) -> None:
    """Store (or clear) one of a user's token digests; the previous token stops working at once."""
    with db.session() as session:
        session.execute(sa.update(UserRow).where(UserRow.id == user_id).values({column: digest}))


def _has_token(db: Database, user_id: int, column: sa.orm.InstrumentedAttribute[str | None]) -> bool:
    with db.sessions() as session:
        return session.scalar(sa.select(column).where(UserRow.id == user_id)) is not None


def user_for_feed_token(db: Database, token: str) -> User | None:
    """The reader whose personal feed ``token`` opens (feed readers cannot send cookies or headers)."""
    if not token.startswith("pff_"):
        return None
    return _find(db, UserRow.feed_token_hash == _token_digest(token))


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _find(db: Database, condition: sa.ColumnElement[bool]) -> User | None:
    with db.sessions() as session:
        row = session.scalar(sa.select(UserRow).where(condition))
        return _user(row) if row else None


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.email, bool(row.is_admin))


# --- Log-in sessions, kept in the database: log-out, a password change and an admin's revoke take effect on
# every node at once. (The store module is imported inside the functions: this block was appended whole.)


def start_session(db: Database, user: User) -> str:
    """A new log-in session for ``user``; the returned id goes into the cookie and nowhere else."""
    from paperfeed.store import sessions

    return sessions.create(db, user.id)


def session_user(db: Database, session_id: str) -> User | None:
    """The user of a valid session, else None (logged out, revoked, expired, never existed, or the account
    disabled by an admin)."""
    from paperfeed.store import sessions

    row = sessions.owner_of(db, session_id)  # the session and its user, in one query
    return User(row.id, row.username, row.email, bool(row.is_admin)) if row is not None else None


def end_session(db: Database, session_id: str) -> None:
    from paperfeed.store import sessions

    sessions.delete(db, session_id)


def revoke_sessions(db: Database, user_id: int) -> int:
    """Log ``user_id`` out everywhere: every browser's session ends (the admin's force log-out, the
    reader's "log out everywhere"). API tokens are separate and stay valid. Returns how many ended."""
    from paperfeed.store import sessions

    return sessions.delete_all(db, user_id)


def change_password(db: Database, user_id: int, current: str, new: str) -> None:
    """Replace the password after checking the current one, then end every session of the account, so a
    browser an intruder logged in with is out too (the caller starts a fresh one for this browser)."""
    with db.sessions() as session:
        stored = session.scalar(sa.select(UserRow.password_hash).where(UserRow.id == user_id))
    try:
        _hasher.verify(stored or _DUMMY_HASH, current)
    except (VerificationError, InvalidHashError):
        raise AccountError("current_password", "That is not your current password.") from None
    set_password(db, user_id, new)
    revoke_sessions(db, user_id)

"""The site's rate limits, counted in the database (:mod:`paperfeed.store.limits`) so that every worker
and node enforces one limit, not one each.

Log-in has three: per address (every attempt), per account (failed attempts from browsers the account has
not logged in from before) and per known browser (its failed attempts). A stranger's guesses therefore lock
out strangers only; the owner's browser keeps its own allowance (see ``web/security.login_guard``).
"""

from __future__ import annotations

from paperfeed.store.limits import Limit, SharedLimiter

__all__ = ["DEFAULT_LIMITS", "Limit", "SharedLimiter"]

DEFAULT_LIMITS = {
    "signup": Limit(5, 3600),
    "login": Limit(10, 300),
    # Failed log-ins per account from browsers that never logged into it: guessing one password from many
    # addresses is slowed down, and the owner's own browser is not affected.
    "login_account": Limit(30, 3600),
    # Failed log-ins per browser that did log into the account before (a stolen device cookie is no faster).
    "login_device": Limit(30, 3600),
    "password": Limit(10, 3600),
    "vote": Limit(60, 60),
    "comment": Limit(10, 60),
    "submit": Limit(10, 3600),
}

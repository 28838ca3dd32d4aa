"""Rendering mails from Jinja2 templates: an HTML part and a plain-text part of the same content.

Paper text comes from arXiv and users, so the HTML environment autoescapes everything; the text templates
are rendered without escaping (a plain-text part shows ``<`` as ``<``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

_HTML = Environment(
    loader=PackageLoader("paperfeed.mail", "templates"),
    autoescape=select_autoescape(["html"], default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEXT = Environment(
    loader=PackageLoader("paperfeed.mail", "templates"),
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
SNIPPET_CHARS = 280


@dataclass(frozen=True, slots=True)
class MailCard:
    """What a card in a mail shows: the same facts as a card on the site (``services.feed.PaperCard``),
    already rendered to text for the mail templates."""

    title: str
    url: str
    snippet: str
    authors_count: int
    upvotes: int


@dataclass(frozen=True, slots=True)
class ComposedMail:
    """A rendered mail for the outbox; ``headers`` are stored with it so a retry sends the same headers."""

    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)


def message_id(mail_from: str) -> str:
    """A fresh Message-ID in the sender's domain; fixed at queue time so a resent copy keeps the same id
    (receivers that deduplicate by Message-ID then show it once)."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<{secrets.token_hex(16)}@{domain}>"


def render_confirmation(*, confirm_url: str, frequency: str, site_url: str) -> ComposedMail:
    context = {"confirm_url": confirm_url, "frequency": frequency, "site_url": site_url}
    return ComposedMail(
        subject="Confirm your paperfeed digest subscription",
        text=_TEXT.get_template("confirm.txt").render(context),
        html=_HTML.get_template("confirm.html").render(context),
    )


def render_address_taken(*, username: str, site_url: str) -> ComposedMail:
    """To an address someone gave at sign-up that another account already has (the page did not say so)."""
    context = {"username": username, "site_url": site_url.rstrip("/")}
    return ComposedMail(
        subject="Someone tried to sign up to paperfeed with your address",
        text=_TEXT.get_template("address_taken.txt").render(context),
        html=_HTML.get_template("address_taken.html").render(context),
    )


def render_digest(
    *,
    period_label: str,
    trending: list[MailCard],
    picks: list[MailCard],
    unsubscribe_url: str,
    unsubscribe_mailto: str,
    site_url: str,
    topics: tuple[str, ...] = (),
) -> ComposedMail:
    """A digest with RFC 8058 one-click unsubscribe headers and the same link visible in the body; a
    subscriber who limited it to ``topics`` is reminded of them (and where to change them)."""
    context = {
        "period_label": period_label,
        "topics": topics,
        "trending": trending,
        "picks": picks,
        "unsubscribe_url": unsubscribe_url,
        "site_url": site_url,
    }
    count = len(trending) + len(picks)
    return ComposedMail(
        subject=f"paperfeed {period_label}: {count} paper{'s' if count != 1 else ''} for you",
        text=_TEXT.get_template("digest.txt").render(context),
        html=_HTML.get_template("digest.html").render(context),
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>, <{unsubscribe_mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def build_message(
    *,
    mail_from: str,
    recipient: str,
    subject: str,
    text: str,
    html: str,
    headers: dict[str, str],
    date: datetime,
) -> EmailMessage:
    """The multipart/alternative message as it goes over SMTP (text first, HTML preferred)."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = Address(addr_spec=recipient)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    for name, value in headers.items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message

"""The SMTP transport: one connection reused for a batch, and every failure sorted into what to do next.

smtplib is used directly (the standard library's client is complete and well tested); what it lacks is the
decision a mail queue needs after each reply:

- ``Permanent`` — a 5xx reply: the server will never take this message; record it as failed.
- ``Transient`` — a 4xx reply about this message (e.g. 451, 452): try it again later, go on with the rest.
- ``Outage`` — no server, a dropped connection, 421 "closing channel", or our sender refused (530 auth
  required, a misconfigured ``mail_from``): stop the batch, retry later; no message is at fault.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType

from paperfeed.config import Settings

SECURITY_MODES = ("none", "starttls", "ssl")


class DeliveryError(Exception):
    """Base class: the message was not accepted; ``str()`` is what goes into ``outbox.last_error``."""


class Permanent(DeliveryError):
    pass


class Transient(DeliveryError):
    pass


class Outage(DeliveryError):
    pass


class SmtpTransport:
    """``with SmtpTransport(settings) as smtp: smtp.send(message)``; raises the errors above only."""

    def __init__(self, settings: Settings, *, timeout: float = 30.0) -> None:
        if settings.smtp_security not in SECURITY_MODES:
            raise ValueError(
                f"smtp_security: {settings.smtp_security!r} is not one of {', '.join(SECURITY_MODES)}"
            )
        self.settings = settings
        self.timeout = timeout
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        self.connect()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def connect(self) -> None:
        s = self.settings
        try:
            if s.smtp_security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
                if s.smtp_security == "starttls":
                    client.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise Outage(f"SMTP login as {s.smtp_user!r} refused: {_reply(error)}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise Outage(f"cannot reach SMTP server {s.smtp_host}:{s.smtp_port}: {error}") from error
        self._client = client

    def send(self, message: EmailMessage) -> None:
        """Return only once the server has accepted the message for every recipient."""
        if self._client is None:
            self.connect()
        assert self._client is not None
        try:
            refused = self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            replies = list(error.recipients.values())
            code = replies[0][0] if replies else 550
            text = "; ".join(f"{c} {m.decode(errors='replace')}" for c, m in replies)
            raise (Permanent if code >= 500 else Transient)(f"recipient refused: {text}") from error
        except smtplib.SMTPSenderRefused as error:
            # MAIL FROM refused (e.g. 530 authentication required): our configuration, not this message,
            # is at fault, and every other message would fail the same way.
            raise Outage(f"SMTP server refused the sender {error.sender!r}: {_reply(error)}") from error
        except smtplib.SMTPResponseException as error:
            raise self._classify(error) from error
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            self._client = None
            raise Outage(f"connection to the SMTP server lost: {error}") from error
        if refused:  # only possible with several recipients; we always send to one
            raise Transient(f"recipients refused: {refused}")

    def _classify(self, error: smtplib.SMTPResponseException) -> DeliveryError:
        code = error.smtp_code
        if code == 421:
            self.close()
            return Outage(f"SMTP server closing the connection: {_reply(error)}")
        if code >= 500:
            return Permanent(_reply(error))
        return Transient(_reply(error))

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def _reply(error: smtplib.SMTPResponseException) -> str:
    message = error.smtp_error
    text = message.decode(errors="replace") if isinstance(message, bytes) else str(message)
    return f"{error.smtp_code} {text}"

"""Transports: how a rendered message leaves (SMTP for e-mail; SMS is a plug-in).

A :class:`Transport` has three methods: ``open()`` before a batch, ``send(message)``
for each message, ``close()`` after. ``send`` returns the server's acceptance
(:class:`SendReply`, e.g. ``250 OK queued as ...``) or raises
:class:`TemporarySendError` (try again later: a 4xx reply, a refused or lost
connection, a timeout) or :class:`PermanentSendError` (do not retry: a 5xx reply,
a refused recipient). The worker records every outcome.

SMS: no provider is bundled. A provider's adapter is any object with these
methods, made by a zero-argument factory named ``module:factory`` in
``RHIZO_SMS_TRANSPORT``; it receives the message's ``text`` (no subject, no
attachment) and ``recipient`` (E.164). :class:`LogTransport` logs instead of
sending (development).

SMTP: RFC 5321 over a plain connection, STARTTLS (RFC 3207) or implicit TLS
(RFC 8314), with AUTH when a user is set. Each message carries
``Message-ID: <message_key@sender-domain>`` (stable per message, so a resend
after a crash is the same message to the receiver) and, when there is one, the
.ics as a ``text/calendar; method=PUBLISH`` attachment (RFC 6047 section 2.4).
The reply to DATA is what "accepted" means: the worker marks the message sent
right after it.
"""

from __future__ import annotations

import contextlib
import email.policy
import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from importlib import import_module
from typing import Protocol

from rhizo.clinic.core.database import utcnow
from rhizo.clinic.core.outbox.models import Channel
from rhizo.clinic.core.outbox.settings import OutboxSettings

_log = logging.getLogger("rhizo.outbox")


@dataclass(frozen=True)
class OutgoingMessage:
    """A rendered message, ready for a transport."""

    channel: Channel
    recipient: str
    message_key: str
    subject: str
    text: str
    ics: str | None = None


@dataclass(frozen=True)
class SendReply:
    """The server's acceptance: its reply code and text."""

    code: int
    text: str


class SendError(Exception):
    """A send that did not succeed; ``code`` is the server's reply code when there was one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporarySendError(SendError):
    """Try again later."""


class PermanentSendError(SendError):
    """Do not try again."""


class Transport(Protocol):
    """The interface every transport implements (module docstring)."""

    def open(self) -> None: ...

    def send(self, message: OutgoingMessage) -> SendReply: ...

    def close(self) -> None: ...


@dataclass
class LogTransport:
    """Logs each message on ``rhizo.outbox`` instead of sending it (development); keeps them."""

    sent: list[OutgoingMessage] = field(default_factory=list)

    def open(self) -> None:
        return None

    def send(self, message: OutgoingMessage) -> SendReply:
        _log.info(
            "outbox (log transport) %s to %s: %s",
            message.channel,
            message.recipient,
            message.subject,
        )
        self.sent.append(message)
        return SendReply(250, "logged, not sent")

    def close(self) -> None:
        return None


def message_id(message_key: str, sender: str) -> str:
    """``<message_key@domain of the sender>`` (RFC 5322 section 3.6.4)."""
    return f"<{message_key}@{sender.rsplit('@', 1)[-1]}>"


def _charset() -> Charset:
    charset = Charset("utf-8")
    charset.body_encoding = QP  # readable in the raw message, 7-bit safe
    return charset


def email_of(message: OutgoingMessage, *, sender: str) -> Message:
    """The MIME message (RFC 2045-2049; the ``compat32`` classes, three times faster to
    build than :class:`email.message.EmailMessage`'s header registry): plain text, and
    the .ics attached when there is one."""
    body = MIMEText(message.text, "plain", _charset())  # type: ignore[arg-type]
    if message.ics is None:
        email: Message = body
    else:
        email = MIMEMultipart("mixed")
        email.attach(body)
        calendar = MIMEText(message.ics, "calendar", _charset())  # type: ignore[arg-type]
        calendar.set_param("method", "PUBLISH")
        calendar.add_header("Content-Disposition", "attachment", filename="appointment.ics")
        email.attach(calendar)
    email["From"] = sender
    email["To"] = message.recipient
    subject = message.subject
    email["Subject"] = subject if subject.isascii() else Header(subject, "utf-8").encode()
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = message_id(message.message_key, sender)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    return email


#: CRLF line ends (RFC 5321 section 2.3.8): smtplib's data() sends bytes as given.
WIRE_POLICY = email.policy.compat32.clone(linesep="\r\n")


class SMTPTransport:
    """E-mail through one SMTP connection per batch (reconnected after an error)."""

    def __init__(self, settings: OutboxSettings) -> None:
        if settings.smtp_from is None:  # pragma: no cover - the settings refuse it
            raise ValueError("RHIZO_SMTP_FROM is not set")
        self.settings = settings
        self.sender: str = settings.smtp_from
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.smtp_security == "ssl":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host,
                    s.smtp_port,
                    timeout=s.smtp_timeout_s,
                    context=ssl.create_default_context(),
                )
            else:
                connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
                if s.smtp_security == "starttls":
                    connection.starttls(context=ssl.create_default_context())
            if s.smtp_user and s.smtp_password is not None:
                connection.login(s.smtp_user, s.smtp_password.get_secret_value())
        except smtplib.SMTPAuthenticationError as error:
            raise PermanentSendError(
                f"SMTP login refused: {error.smtp_code} {error.smtp_error!r}", error.smtp_code
            ) from error
        except (OSError, smtplib.SMTPException) as error:
            raise TemporarySendError(
                f"cannot reach {s.smtp_host}:{s.smtp_port}: {error}"
            ) from error
        return connection

    def open(self) -> None:
        if self._connection is None:
            self._connection = self._connect()

    def send(self, message: OutgoingMessage) -> SendReply:
        if self._connection is None:
            self._connection = self._connect()
        connection = self._connection
        payload = email_of(message, sender=self.sender).as_bytes(policy=WIRE_POLICY)
        try:
            connection.ehlo_or_helo_if_needed()
            code, reply = connection.mail(self.sender)
            if code != 250:
                raise _reply_error("MAIL FROM", code, reply)
            code, reply = connection.rcpt(message.recipient)
            if code not in (250, 251):
                raise _reply_error("RCPT TO", code, reply)
            code, reply = connection.data(payload)
            if code != 250:
                raise _reply_error("DATA", code, reply)
        except SendError:
            self._reset()
            raise
        except smtplib.SMTPResponseException as error:
            self._drop()
            raise _reply_error("SMTP", error.smtp_code, error.smtp_error) from error
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise TemporarySendError(f"connection lost: {error}") from error
        return SendReply(code, reply.decode(errors="replace"))

    def _reset(self) -> None:
        try:
            if self._connection is not None:
                self._connection.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(OSError):  # closing a dead socket
                connection.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.quit()
            except (OSError, smtplib.SMTPException):
                connection.close()


def _reply_error(step: str, code: int, reply: bytes | str) -> SendError:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    kind = PermanentSendError if 500 <= code < 600 else TemporarySendError
    return kind(f"{step}: {code} {text}", code)


def transports_for(settings: OutboxSettings) -> dict[Channel, Transport]:
    """The transport of each channel the settings enable."""
    chosen: dict[Channel, Transport] = {
        Channel.EMAIL: SMTPTransport(settings)
        if settings.email_transport == "smtp"
        else LogTransport()
    }
    if settings.sms_transport == "log":
        chosen[Channel.SMS] = LogTransport()
    elif settings.sms_transport != "none":
        module_name, factory_name = settings.sms_transport.split(":")
        try:
            factory = getattr(import_module(module_name), factory_name)
        except (ImportError, AttributeError) as error:
            raise ValueError(
                f"RHIZO_SMS_TRANSPORT {settings.sms_transport!r} cannot be loaded: {error}"
            ) from error
        chosen[Channel.SMS] = factory()
    return chosen

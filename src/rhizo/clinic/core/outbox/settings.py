"""How the outbox sends: transports, SMTP server, retry policy (``RHIZO_*`` environment).

=================================  ==========================================  ==========
variable                           meaning                                     default
=================================  ==========================================  ==========
``RHIZO_EMAIL_TRANSPORT``          ``smtp`` or ``log`` (development: logged)    ``smtp``
``RHIZO_SMS_TRANSPORT``            ``none``, ``log``, or ``module:factory`` of  ``none``
                                   a provider's :class:`Transport`
``RHIZO_SMTP_HOST`` / ``_PORT``    the submission server                       localhost/25
``RHIZO_SMTP_SECURITY``            ``none``, ``starttls`` (RFC 3207) or ``ssl``  ``none``
                                   (implicit TLS, RFC 8314)
``RHIZO_SMTP_USER`` / ``_PASSWORD`` AUTH credentials (both or neither)
``RHIZO_SMTP_FROM``                the From address (required for ``smtp``)
``RHIZO_SMTP_TIMEOUT_S``           socket timeout                              30
``RHIZO_OUTBOX_MAX_ATTEMPTS``      attempts before ``failed``                  6
``RHIZO_OUTBOX_BACKOFF_S``         first retry delay; doubles each time        60
``RHIZO_OUTBOX_BACKOFF_MAX_S``     longest retry delay                         3600
``RHIZO_OUTBOX_LEASE_S``           a claim older than this is a dead worker's  300
=================================  ==========================================  ==========

Unsafe combinations are refused with the variable named: a password sent without
TLS to a host that is not this machine (``none`` security is only for
``localhost``/``127.0.0.1``/``::1``: a local relay), a user without a password or
the reverse, a From that is not an e-mail address.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rhizo.clinic.core.outbox.addresses import email_problem

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class OutboxSettings(BaseSettings):
    """The outbox's settings (module docstring); every refusal names its variable."""

    model_config = SettingsConfigDict(env_prefix="RHIZO_", extra="ignore")

    email_transport: Literal["smtp", "log"] = "smtp"
    sms_transport: str = Field(default="none", pattern=r"^(none|log|[\w.]+:\w+)$")
    smtp_host: str = Field(default="localhost", min_length=1, max_length=253)
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str | None = Field(default=None, max_length=200)
    smtp_password: SecretStr | None = None
    smtp_from: str | None = None
    smtp_timeout_s: float = Field(default=30.0, gt=0, le=600)
    outbox_max_attempts: int = Field(default=6, ge=1, le=50)
    outbox_backoff_s: float = Field(default=60.0, ge=0, le=86_400)
    outbox_backoff_max_s: float = Field(default=3600.0, ge=0, le=7 * 86_400)
    outbox_lease_s: float = Field(default=300.0, gt=0, le=86_400)

    @field_validator("smtp_user", "smtp_from", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("smtp_from", mode="after")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None:
            problem = email_problem(value)
            if problem is not None:
                raise ValueError(f"RHIZO_SMTP_FROM {value!r} {problem}")
        return value

    @model_validator(mode="after")
    def _safe(self) -> Self:
        password = self.smtp_password.get_secret_value() if self.smtp_password else ""
        if bool(self.smtp_user) != bool(password):
            raise ValueError(
                "RHIZO_SMTP_USER and RHIZO_SMTP_PASSWORD go together: set both or neither"
            )
        if password and self.smtp_security == "none" and self.smtp_host not in LOCAL_HOSTS:
            raise ValueError(
                f"RHIZO_SMTP_PASSWORD would be sent in clear text to {self.smtp_host}: set "
                "RHIZO_SMTP_SECURITY=starttls or ssl (clear text is allowed only to localhost)"
            )
        if self.email_transport == "smtp" and self.smtp_from is None:
            raise ValueError("RHIZO_SMTP_FROM is not set: the From address of the clinic's e-mail")
        if self.outbox_backoff_max_s < self.outbox_backoff_s:
            raise ValueError("RHIZO_OUTBOX_BACKOFF_MAX_S is below RHIZO_OUTBOX_BACKOFF_S")
        return self

    def backoff_s(self, attempts: int) -> float:
        """The delay after the ``attempts``-th failed attempt: ``backoff * 2**(attempts-1)``,
        at most ``backoff_max`` (60 s, 120 s, 240 s ... 1 h by default)."""
        return float(
            min(self.outbox_backoff_s * 2 ** max(0, attempts - 1), self.outbox_backoff_max_s)
        )

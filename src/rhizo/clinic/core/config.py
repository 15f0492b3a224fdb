"""Settings from the environment (``RHIZO_*``), full-stack-fastapi-template style.

``RHIZO_DATABASE_URL`` picks the database (a SQLite file in the user's data
directory by default; ``postgres://`` URLs are rewritten to psycopg 3).
Two keys, never one for both jobs: ``RHIZO_SECRET_KEY`` signs API tokens and web
session cookies; ``RHIZO_PSEUDONYM_KEY`` keys the research pseudonyms (an HMAC of
the patient id), so rotating the signing key (which logs everyone out) does not
change every pseudonym, and a leaked signing key does not re-identify a research
export. In production a missing, weak (shorter than 32 characters, a
well-known default, or fewer than 8 distinct characters) or shared key is
refused; in development and test a weak key is accepted with a loud warning
(logged on ``rhizo.config``, which reaches stderr), and a missing one is made
up at random for the process. ``RHIZO_ADMIN_TOTP_REQUIRED`` (default true;
production refuses false) forces admins to enrol a TOTP second factor before
anything else. ``RHIZO_LOGIN_CONCURRENCY`` (default: a quarter of the CPUs, at
least 1) bounds the password verifications one process runs at once.
``RHIZO_CLINIC_TIMEZONE`` (an IANA name such as ``Europe/Berlin``, default
``UTC``) is the zone the web pages take and show times in; the database stores
UTC either way. ``RHIZO_CLINIC_NAME``, ``RHIZO_CLINIC_PHONE`` and
``RHIZO_CLINIC_HOURS`` are the clinic a patient is told to call (portal warning
signs, aftercare); unset, those pages say "call the clinic that treated you" and
never show "call us" without a number. They are optional in every environment:
a phone is a deployment's choice, and the fallback wording stays safe.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
from pathlib import Path
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KNOWN_BAD_SECRETS = frozenset(
    {"changethis", "secret", "changeme", "development", "rhizo", "password", "x", "test"}
)
MIN_SECRET_LENGTH = 32
#: ``"x" * 48`` is long but guessable: a key needs this many different characters.
MIN_SECRET_DISTINCT = 8
_log = logging.getLogger("rhizo.config")
#: A phone number as a person dials it: an optional ``+``, then digits, spaces,
#: ``( ) - .``; 3 to 15 digits (E.164 allows at most 15; 3 covers short codes).
PHONE_PATTERN = r"^\+?[0-9][0-9 ().-]*$"
PHONE_DIGITS_MIN = 3
PHONE_DIGITS_MAX = 15
#: Longest clinic name, phone and hours (the settings and the clinic_settings table).
CLINIC_NAME_MAX_LENGTH = 120
CLINIC_PHONE_MAX_LENGTH = 32
CLINIC_HOURS_MAX_LENGTH = 120


def dialable_phone(value: str, *, name: str) -> str:
    """``value`` when it is a phone number as a person dials it (``PHONE_PATTERN``, 3-15
    digits); ``ValueError`` naming ``name`` otherwise. The one phone rule: the
    ``RHIZO_CLINIC_PHONE`` setting and the admin's clinic settings both use it."""
    digits = sum(c.isdigit() for c in value)
    if not re.fullmatch(PHONE_PATTERN, value) or not (
        PHONE_DIGITS_MIN <= digits <= PHONE_DIGITS_MAX
    ):
        raise ValueError(
            f"{name} {value!r} is not a phone number: an optional '+', then "
            f"{PHONE_DIGITS_MIN}-{PHONE_DIGITS_MAX} digits with spaces, '(', ')', '-' or '.'"
        )
    return value


def secret_weakness(value: str) -> str | None:
    """Why ``value`` is too weak for a key (short, well known or repetitive), or None."""
    if value.strip().lower() in KNOWN_BAD_SECRETS:
        return "is a well-known default"
    if len(value) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(value)) < MIN_SECRET_DISTINCT:
        return f"has fewer than {MIN_SECRET_DISTINCT} different characters"
    return None


def user_data_dir() -> Path:
    """The per-user data directory for rhizo (XDG on Linux, the usual places elsewhere)."""
    home = Path.home()
    if sys.platform == "win32":  # pragma: no cover - platform specific
        base = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local"))
    elif sys.platform == "darwin":  # pragma: no cover - platform specific
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "rhizo"


def default_database_url() -> str:
    """SQLite file ``clinic.sqlite3`` in :func:`user_data_dir`."""
    return f"sqlite:///{user_data_dir() / 'clinic.sqlite3'}"


def normalise_database_url(url: str) -> str:
    """Rewrite ``postgres://`` and bare ``postgresql://`` to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite file URL when it is missing."""
    if url.startswith("sqlite:///") and url not in ("sqlite://", "sqlite:///:memory:"):
        path = Path(url.removeprefix("sqlite:///").split("?", 1)[0])
        path.parent.mkdir(parents=True, exist_ok=True)


def default_login_concurrency() -> int:
    """A quarter of the CPUs, at least one: each argon2id verification (pwdlib's default
    parameters, m=64 MiB, t=3, p=4 lanes, RFC 9106's second recommended option) runs its
    four lanes on up to four threads, so this many at once leave the other half or more of
    the CPU to authenticated requests."""
    return max(1, (os.cpu_count() or 1) // 4)


class DatabaseSettings(BaseSettings):
    """Only the database URL: enough for ``rhizo db upgrade`` and ``rhizo user add``."""

    model_config = SettingsConfigDict(env_prefix="RHIZO_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)

    @field_validator("database_url", mode="after")
    @classmethod
    def _psycopg_driver(cls, value: str) -> str:
        return normalise_database_url(value)


class Settings(DatabaseSettings):
    """Everything the API needs; refuses unsafe secrets outside development."""

    env: Literal["development", "test", "production"] = "production"
    secret_key: SecretStr | None = None
    pseudonym_key: SecretStr | None = None
    #: Admins must enrol TOTP before anything else (false: development and test only).
    admin_totp_required: bool = True
    #: Password verifications (argon2) one process runs at once; the excess gets 429 at once.
    login_concurrency: int = Field(default_factory=default_login_concurrency, ge=1, le=64)
    access_token_expire_minutes: int = Field(default=60, ge=1, le=24 * 60)
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    max_page_size: int = Field(default=200, ge=1, le=10_000)
    clinic_timezone: str = "UTC"
    #: FHIR ``Patient.identifier.system`` of the clinic's MRNs (a URI; set it to the
    #: clinic's own, e.g. its assigning authority's URL or OID as ``urn:oid:...``).
    fhir_identifier_system: str = Field(default="urn:rhizo:mrn", pattern=r"^(urn:|https?://)\S+$")
    #: The clinic a patient is told to call; None: "the clinic that treated you".
    clinic_name: str | None = Field(default=None, max_length=CLINIC_NAME_MAX_LENGTH)
    clinic_phone: str | None = Field(default=None, max_length=CLINIC_PHONE_MAX_LENGTH)
    #: When the phone is answered, in the clinic's words ("Mon-Fri 8:00-17:00").
    clinic_hours: str | None = Field(default=None, max_length=CLINIC_HOURS_MAX_LENGTH)

    @field_validator("clinic_name", "clinic_hours", "clinic_phone", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty ``RHIZO_CLINIC_*`` variable means unset, not an empty name."""
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("clinic_phone", mode="after")
    @classmethod
    def _dialable(cls, value: str | None) -> str | None:
        return None if value is None else dialable_phone(value, name="RHIZO_CLINIC_PHONE")

    @field_validator("clinic_timezone", mode="after")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"RHIZO_CLINIC_TIMEZONE {value!r} is not an IANA time zone name "
                "(such as 'UTC', 'Europe/London' or 'America/New_York')"
            ) from None
        return value

    @property
    def clinic_zone(self) -> ZoneInfo:
        """The clinic's time zone (validated)."""
        return ZoneInfo(self.clinic_timezone)

    def _key(self, name: str, variable: str) -> SecretStr:
        """One key, checked: production refuses a missing or weak one; development and
        test warn about a weak one and make up a missing one."""
        field: SecretStr | None = getattr(self, name)
        value = field.get_secret_value() if field is not None else None
        hint = "a random string: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        if value is None:
            if self.env == "production":
                raise ValueError(
                    f"{variable} is not set; set it to {hint} "
                    "(or RHIZO_ENV=development for a throw-away one)"
                )
            return SecretStr(secrets.token_urlsafe(48))
        weakness = secret_weakness(value)
        if weakness is not None:
            if self.env == "production":
                raise ValueError(
                    f"{variable} {weakness}; refused outside RHIZO_ENV=development "
                    f"and test; use {hint}"
                )
            _log.warning(
                "WEAK KEY: %s %s; accepted only because RHIZO_ENV=%s. Never use it in production.",
                variable,
                weakness,
                self.env,
            )
        return field if field is not None else SecretStr(value)

    @model_validator(mode="after")
    def _refuse_unsafe_keys(self) -> Self:
        self.secret_key = self._key("secret_key", "RHIZO_SECRET_KEY")
        self.pseudonym_key = self._key("pseudonym_key", "RHIZO_PSEUDONYM_KEY")
        if self.secret_key.get_secret_value() == self.pseudonym_key.get_secret_value():
            raise ValueError(
                "RHIZO_PSEUDONYM_KEY equals RHIZO_SECRET_KEY; give each its own random value"
            )
        if self.env == "production" and not self.admin_totp_required:
            raise ValueError(
                "RHIZO_ADMIN_TOTP_REQUIRED=false is refused in production: admins must "
                "enrol a second factor"
            )
        return self

    @property
    def secret(self) -> str:
        """The signing key of tokens and session cookies (always set after validation)."""
        assert self.secret_key is not None  # noqa: S101 - guaranteed by the validator
        return self.secret_key.get_secret_value()

    @property
    def pseudonym_secret(self) -> str:
        """The key of the research pseudonyms (always set after validation)."""
        assert self.pseudonym_key is not None  # noqa: S101 - guaranteed by the validator
        return self.pseudonym_key.get_secret_value()

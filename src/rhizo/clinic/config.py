"""Settings from the environment (``RHIZO_*``), full-stack-fastapi-template style.

``RHIZO_DATABASE_URL`` picks the database (a SQLite file in the user's data
directory by default; ``postgres://`` URLs are rewritten to psycopg 3).
``RHIZO_SECRET_KEY`` signs tokens: outside ``RHIZO_ENV=development`` a missing,
short or well-known secret is refused. ``RHIZO_CLINIC_TIMEZONE`` (an IANA
name such as ``Europe/Berlin``, default ``UTC``) is the zone the web pages
take and show times in; the database stores UTC either way.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

KNOWN_BAD_SECRETS = frozenset({"changethis", "secret", "changeme", "development", "rhizo"})
MIN_SECRET_LENGTH = 32


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
    access_token_expire_minutes: int = Field(default=60, ge=1, le=24 * 60)
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    max_page_size: int = Field(default=200, ge=1, le=10_000)
    clinic_timezone: str = "UTC"
    #: FHIR ``Patient.identifier.system`` of the clinic's MRNs (a URI; set it to the
    #: clinic's own, e.g. its assigning authority's URL or OID as ``urn:oid:...``).
    fhir_identifier_system: str = Field(default="urn:rhizo:mrn", pattern=r"^(urn:|https?://)\S+$")

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

    @model_validator(mode="after")
    def _refuse_unsafe_secret(self) -> Self:
        value = self.secret_key.get_secret_value() if self.secret_key is not None else None
        if self.env == "development":
            if value is None:
                self.secret_key = SecretStr(secrets.token_urlsafe(48))
            return self
        if value is None:
            raise ValueError(
                "RHIZO_SECRET_KEY is not set; set it to a random string of at least "
                f"{MIN_SECRET_LENGTH} characters (or RHIZO_ENV=development for a throw-away one)"
            )
        if value.lower() in KNOWN_BAD_SECRETS or len(value) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"RHIZO_SECRET_KEY is a default or shorter than {MIN_SECRET_LENGTH} characters; "
                "refused outside RHIZO_ENV=development"
            )
        return self

    @property
    def secret(self) -> str:
        """The signing secret (always set after validation)."""
        assert self.secret_key is not None  # noqa: S101 - guaranteed by the validator
        return self.secret_key.get_secret_value()

"""Prepare the demo database: migrate, seed once, keep a per-database secret beside it.

The signing secret, the research pseudonym key and the demo users' passwords are
generated for each database and stored in files beside it with mode 0600,
never in the repository; the demo runs with ``env=development`` settings.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from rhizo.clinic.core import migrate
from rhizo.clinic.core.config import Settings, normalise_database_url, user_data_dir
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import DEFAULT_PATIENTS, SeedReport, is_seeded, real_patients, seed


class DemoRefused(Exception):
    """The database holds real (non-synthetic) patients: the demo will not touch it."""


#: The demo's clinic to call: invented, and a 555-01xx number (reserved for fiction in
#: the North American Numbering Plan); RHIZO_CLINIC_* variables override each.
DEMO_CONTACT = {
    "clinic_name": "Rhizo Demo Clinic (synthetic)",
    "clinic_phone": "+1 555 010 0100",
    "clinic_hours": "Mon-Fri 8:00-17:00",
}


def _demo_contact(key: str) -> str:
    """The ``RHIZO_CLINIC_*`` variable when set (blank: unset), else the demo's value."""
    return os.environ.get(f"RHIZO_{key.upper()}", DEMO_CONTACT[key])


def demo_database_url() -> str:
    """``RHIZO_DATABASE_URL`` when set, else ``demo.sqlite3`` in the user data directory."""
    url = os.environ.get("RHIZO_DATABASE_URL")
    return normalise_database_url(url) if url else f"sqlite:///{user_data_dir() / 'demo.sqlite3'}"


def sidecar_base(url: str) -> Path:
    """Where the key and credentials files go: beside a SQLite file, else the data dir."""
    if url.startswith("sqlite:///") and url not in ("sqlite://", "sqlite:///:memory:"):
        return Path(url.removeprefix("sqlite:///").split("?", 1)[0])
    return user_data_dir() / "demo-server"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _secret(base: Path, suffix: str = ".secret") -> str:
    path = base.with_name(base.name + suffix)
    if path.exists():
        value = path.read_text(encoding="utf-8").strip()
        if len(value) >= 32:
            return value
    value = secrets.token_urlsafe(48)
    _write_private(path, value + "\n")
    return value


@dataclass
class Demo:
    """A ready demo database."""

    url: str
    settings: Settings
    credentials: dict[str, tuple[str, str]]
    credentials_file: Path
    seeded_now: SeedReport | None


def prepare(*, url: str | None = None, patients: int = DEFAULT_PATIENTS) -> Demo:
    """Migrate the database, seed it the first time, return settings and credentials."""
    url = normalise_database_url(url or demo_database_url())
    base = sidecar_base(url)
    # Settings first: a bad RHIZO_* value is refused before the database is touched.
    settings = Settings(
        database_url=url,
        env="development",
        secret_key=SecretStr(_secret(base)),
        pseudonym_key=SecretStr(_secret(base, ".pseudonym-key")),
        clinic_name=_demo_contact("clinic_name"),
        clinic_phone=_demo_contact("clinic_phone"),
        clinic_hours=_demo_contact("clinic_hours"),
    )
    migrate.upgrade(url)
    credentials_file = base.with_name(base.name + ".credentials.json")
    engine = create_db_engine(url)
    report: SeedReport | None = None
    try:
        session = create_session_factory(engine)()
        try:
            if not is_seeded(session):
                if real_patients(session):
                    raise DemoRefused(
                        "the database holds non-synthetic patients; the demo will not seed it"
                    )
                report = seed(session, patients=patients)
                _write_private(credentials_file, json.dumps(report.passwords, indent=2) + "\n")
        finally:
            session.close()
    finally:
        engine.dispose()
    credentials: dict[str, tuple[str, str]] = {}
    if credentials_file.exists():
        raw = json.loads(credentials_file.read_text(encoding="utf-8"))
        credentials = {name: (str(v[0]), str(v[1])) for name, v in raw.items()}
    return Demo(url, settings, credentials, credentials_file, report)

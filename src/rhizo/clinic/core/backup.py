"""Consistent backups and checked restores of the clinic database.

A plain copy of a SQLite file in WAL mode misses every committed row still
in ``-wal`` (only a checkpoint moves them into the main file) and can catch a
page half-written. :func:`backup` uses SQLite's online backup API instead
(``sqlite3.Connection.backup``, one step: it reads one consistent snapshot,
WAL included, while writers carry on) and writes the copy owner-only (0600).
For PostgreSQL it runs ``pg_dump --format=custom`` (the client tools must be
installed; a missing ``pg_dump`` is a clear error).

:func:`restore` first checks that the file is a rhizo database at a revision
this version knows (``alembic_version``; SQLite header, or ``pg_restore
--list`` naming the rhizo tables), and refuses to overwrite a database that
holds rows unless ``force`` is given.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from rhizo.clinic.core.database import SQLITE_FILE_MODE, secure_sqlite_file, sqlite_file
from rhizo.clinic.core.migrate import alembic_config

#: Tables every rhizo database has (checked before a restore).
RHIZO_TABLES = frozenset({"alembic_version", "users", "patients", "audit_event"})
_SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore wrote."""

    path: Path
    revision: str | None
    rows: int
    size_bytes: int


def known_revisions() -> set[str]:
    """Every migration revision this version of rhizo ships."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {rev.revision for rev in script.walk_revisions()}


def _sqlite_rows(connection: sqlite3.Connection) -> tuple[set[str], int, str | None]:
    """(table names, rows in all rhizo tables but alembic_version, revision)."""
    tables = {
        str(row[0])
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    rows = 0
    for table in sorted(tables - {"alembic_version"}):
        quoted = '"' + table.replace('"', '""') + '"'
        rows += int(connection.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])  # noqa: S608
    revision = None
    if "alembic_version" in tables:
        found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = None if found is None else str(found[0])
    return tables, rows, revision


def _check_rhizo_sqlite(path: Path) -> tuple[int, str]:
    """(rows, revision) of a rhizo SQLite file, or :class:`BackupError` saying what is wrong."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with path.open("rb") as handle:
        if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise BackupError(f"{path}: not a SQLite database (no SQLite header)")
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = connection.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise BackupError(f"{path}: the SQLite file is damaged ({check})")
        tables, rows, revision = _sqlite_rows(connection)
    finally:
        connection.close()
    missing = RHIZO_TABLES - tables
    if missing:
        raise BackupError(f"{path}: not a rhizo database (no table {', '.join(sorted(missing))})")
    if revision is None or revision not in known_revisions():
        raise BackupError(
            f"{path}: at migration revision {revision!r}, which this rhizo does not know; "
            "restore it with the rhizo version that made it"
        )
    return rows, revision


def _refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise BackupError(f"{path} exists; choose a new file or pass --force to replace it")


def backup_sqlite(source: Path, target: Path, *, force: bool = False) -> BackupReport:
    """Copy the SQLite database ``source`` to ``target`` through the online backup API."""
    if not source.is_file():
        raise BackupError(f"{source}: no such database file")
    _refuse_existing(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    secure_sqlite_file(partial)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=10)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # pages=-1: the whole database in one step, one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        _, rows, revision = _sqlite_rows(dst)
    finally:
        dst.close()
        src.close()
    partial.chmod(SQLITE_FILE_MODE)
    partial.replace(target)
    return BackupReport(target, revision, rows, target.stat().st_size)


def restore_sqlite(source: Path, target: Path, *, force: bool = False) -> BackupReport:
    """Replace the SQLite database ``target`` by the backup ``source`` (checked first)."""
    rows, revision = _check_rhizo_sqlite(source)
    if target.exists():
        connection = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=10)
        try:
            _, held, _ = _sqlite_rows(connection)
        finally:
            connection.close()
        if held and not force:
            raise BackupError(
                f"{target} holds {held} rows; restoring would replace them. Stop the server, "
                "back it up, then pass --force"
            )
    secure_sqlite_file(target)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=10)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return BackupReport(target, revision, rows, target.stat().st_size)


def _libpq(url: sa.URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore, the password in the environment."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    args = ["--dbname", url.set(drivername="postgresql", password=None).render_as_string()]
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH; install the PostgreSQL client tools "
            "(e.g. 'apt install postgresql-client', the same major version as the server)"
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{Path(command[0]).name} failed: {last}")
    return done.stdout


def _pg_state(url: sa.URL) -> tuple[int, str | None]:
    """(rows in the rhizo tables, revision) of a PostgreSQL database."""
    from rhizo.clinic.core.database import create_db_engine

    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
            rows = 0
            for table in sorted(tables):
                rows += int(
                    connection.execute(
                        sa.select(sa.func.count()).select_from(sa.table(table))
                    ).scalar_one()
                )
            revision = None
            if sa.inspect(connection).has_table("alembic_version"):
                revision = connection.execute(
                    sa.text("SELECT version_num FROM alembic_version")
                ).scalar()
    finally:
        engine.dispose()
    return rows, revision


def _dump_revision(tool: str, source: Path) -> str | None:
    """The ``alembic_version`` row inside a ``pg_dump`` file (read without restoring)."""
    text = _run(
        [tool, "--data-only", "--table", "alembic_version", "--file", "-", str(source)],
        dict(os.environ),
    )
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and index + 1 < len(lines):
            value = lines[index + 1].strip()
            return None if value == "\\." else value
    return None


def backup_postgres(url: sa.URL, target: Path, *, force: bool = False) -> BackupReport:
    """``pg_dump --format=custom`` of the database at ``url`` into ``target`` (0600)."""
    _refuse_existing(target, force)
    tool = _tool("pg_dump")
    rows, revision = _pg_state(url)
    args, env = _libpq(url)
    partial = target.with_name(target.name + ".partial")
    old = os.umask(0o077)
    try:
        _run([tool, "--format=custom", "--no-owner", "--file", str(partial), *args], env)
    finally:
        os.umask(old)
    partial.chmod(SQLITE_FILE_MODE)
    partial.replace(target)
    return BackupReport(target, revision, rows, target.stat().st_size)


def restore_postgres(source: Path, url: sa.URL, *, force: bool = False) -> BackupReport:
    """``pg_restore --clean`` of a rhizo ``pg_dump`` file into the database at ``url``."""
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    tool = _tool("pg_restore")
    listing = _run([tool, "--list", str(source)], dict(os.environ))
    missing = {t for t in RHIZO_TABLES if f" TABLE public {t} " not in listing}
    if missing:
        raise BackupError(
            f"{source}: not a rhizo pg_dump file (no table {', '.join(sorted(missing))})"
        )
    revision = _dump_revision(tool, source)
    if revision not in known_revisions():
        raise BackupError(
            f"{source}: at migration revision {revision!r}, which this rhizo does not know; "
            "restore it with the rhizo version that made it"
        )
    held, _ = _pg_state(url)
    if held and not force:
        raise BackupError(
            f"the database holds {held} rows; restoring would replace them. Stop the server, "
            "back it up, then pass --force"
        )
    args, env = _libpq(url)
    _run(
        [tool, "--clean", "--if-exists", "--no-owner", "--single-transaction", *args, str(source)],
        env,
    )
    rows, revision = _pg_state(url)
    return BackupReport(source, revision, rows, source.stat().st_size)


def _backend(url: str, verb: str) -> tuple[Path | None, sa.URL]:
    """(the SQLite file or None, the parsed URL) of ``url``; BackupError unless it names a
    SQLite file or PostgreSQL (``verb``: what is refused, for the message)."""
    parsed = sa.make_url(url)
    path = sqlite_file(parsed)
    if path is None and parsed.get_backend_name() != "postgresql":
        backend = parsed.get_backend_name()
        raise BackupError(f"{backend}: only a SQLite file or PostgreSQL is {verb}")
    return path, parsed


def backup(url: str, target: Path, *, force: bool = False) -> BackupReport:
    """Back up the database at ``url`` (SQLite or PostgreSQL) to ``target``."""
    path, parsed = _backend(url, "backed up")
    if path is not None:
        return backup_sqlite(path, target, force=force)
    return backup_postgres(parsed, target, force=force)


def restore(url: str, source: Path, *, force: bool = False) -> BackupReport:
    """Restore the backup ``source`` into the database at ``url``."""
    path, parsed = _backend(url, "restored")
    if path is not None:
        return restore_sqlite(source, path, force=force)
    return restore_postgres(source, parsed, force=force)

"""``rhizo serve`` (the clinic, production settings) and ``rhizo demo`` (a synthetic cohort).

``rhizo serve`` serves the REST API (``/api/v1``, OpenAPI at ``/docs``) and the
pages (``/``) on one app with production settings: ``RHIZO_ENV`` must be
``production`` (the default), and :class:`rhizo.clinic.core.config.Settings`
refuses a missing or weak key there. It expects a TLS-terminating reverse
proxy in front (``RHIZO_TRUSTED_PROXIES``, :mod:`rhizo.clinic.core.proxy`), or
serves HTTPS itself with ``--certfile``/``--keyfile`` (uvicorn's ``ssl_*``
options; the pair is loaded once here so a missing, unreadable or mismatched
file is one line and exit 2). uvicorn's own proxy-header handling and its
``Server`` header are switched off.
"""

from __future__ import annotations

import ipaddress
import ssl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from rhizo.cli._errors import InputError, settings_error
from rhizo.cli.clinic import DbOption, database_url, redacted


@contextmanager
def _web_extra() -> Iterator[None]:
    """Imports made inside need the web extra: one missing is an InputError naming it."""
    try:
        yield
    except ImportError as error:  # pragma: no cover - needs the web extra missing
        raise InputError(
            f"the web extra is not installed ({error.name}); pip install 'rhizo[web]'"
        ) from None


def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    patients: Annotated[
        int, typer.Option(help="Synthetic patients to create (first run only).", min=1, max=20000)
    ] = 200,
    serve: Annotated[
        bool, typer.Option(help="Serve after preparing (--no-serve: prepare and exit).")
    ] = True,
    lesion_table: Annotated[
        bool,
        typer.Option(
            help="Build the planner's default lesion table in the background while serving "
            "(once per physics version; until it is ready the planner solves each lesion)."
        ),
    ] = True,
) -> None:
    """Run the clinic web app on a synthetic demo cohort (created once, labelled SYNTHETIC)."""
    with _web_extra():
        import uvicorn

        from rhizo.clinic.demo.setup import DemoRefused, prepare
        from rhizo.clinic.web.app import create_web_app
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    try:
        ready = prepare(patients=patients)
    except ValidationError as error:
        raise settings_error(error) from None
    except DemoRefused as error:
        raise InputError(f"RHIZO_DATABASE_URL: {error}") from None
    except OperationalError as error:
        raise InputError(f"database: cannot open it ({type(error.orig).__name__})") from None
    from rhizo import DISCLAIMER

    typer.echo(f"rhizo demo clinic (SYNTHETIC data), database {redacted(ready.url)}")
    if ready.seeded_now is not None:
        seeded = ready.seeded_now
        typer.echo(
            f"created {seeded.patients} synthetic patients, {seeded.procedures} procedures, "
            f"{seeded.followups} follow-ups, {seeded.complications} complications"
        )
    typer.echo(
        f"demo users (passwords generated for this database; also in {ready.credentials_file}):"
    )
    for username, (role, password) in ready.credentials.items():
        typer.echo(f"  {role:<11} {username:<16} {password}")
    typer.echo(DISCLAIMER)
    if not serve:
        return
    if lesion_table:
        _build_default_lesion_table_in_background()
    typer.echo(f"open http://{host}:{port}/  (Ctrl-C to stop)")
    app = create_web_app(ready.settings, synthetic=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _build_default_lesion_table_in_background() -> None:
    """Start building the planner's default table (18 G, blunt, clinical tissue) in a thread.

    The web planner never builds a table during a request (it solves instead), so
    without this the demo's planner would never answer from the surrogate. A table
    already cached for the current physics is only loaded. Daemon thread: stopping
    the server abandons an unfinished build (nothing half-written is trusted later).
    """
    import threading

    from rhizo.physics import CLINICAL_TISSUE
    from rhizo.physics.surrogate_cache import default_tables

    tables = default_tables()
    spec = tables.spec(gauge=18, tip_kind="blunt", tissue=CLINICAL_TISSUE)
    if tables.table(spec, build=False) is not None:
        typer.echo(f"lesion table {spec.label}: ready (planner answers from it)")
        return

    def build() -> None:
        table = tables.table(spec)
        if table is not None:
            typer.echo(f"lesion table {spec.label}: built in {table.build_s:.0f} s")

    typer.echo(f"lesion table {spec.label}: building in the background (about a minute)")
    threading.Thread(target=build, name="rhizo-lesion-table", daemon=True).start()


def _no_password() -> bytes:
    raise InputError("--keyfile: the private key is encrypted; give an unencrypted PEM key")


def tls_files(certfile: Path | None, keyfile: Path | None) -> tuple[str, str | None] | None:
    """Check ``--certfile``/``--keyfile`` (exist, readable, a matching PEM pair); None: no TLS."""
    if certfile is None:
        if keyfile is not None:
            raise InputError(
                f"--keyfile: {str(keyfile)!r} given without --certfile; give both "
                "(a PEM certificate chain and its private key) or neither"
            )
        return None
    for option, path in (("--certfile", certfile), ("--keyfile", keyfile)):
        if path is None:
            continue
        if not path.is_file():
            raise InputError(f"{option}: {str(path)!r} does not exist or is not a file")
        try:
            path.read_bytes()
        except OSError as error:
            raise InputError(f"{option}: {str(path)!r} cannot be read ({error.strerror})") from None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certfile, keyfile, password=_no_password)
    except ssl.SSLError as error:
        raise InputError(
            f"--certfile/--keyfile: {str(certfile)!r} and {str(keyfile)!r} are not a PEM "
            f"certificate chain and its matching private key ({error.reason or error})"
        ) from None
    return str(certfile), str(keyfile) if keyfile is not None else None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    certfile: Annotated[
        Path | None,
        typer.Option(
            "--certfile",
            help="PEM certificate chain: serve HTTPS directly (default: plain HTTP for a "
            "TLS-terminating proxy in front).",
        ),
    ] = None,
    keyfile: Annotated[
        Path | None,
        typer.Option("--keyfile", help="PEM private key of --certfile (unencrypted)."),
    ] = None,
) -> None:
    """Serve the clinic: REST API (/api/v1, docs at /docs) and pages (/), production settings."""
    with _web_extra():
        import uvicorn

        from rhizo.clinic.web.app import create_web_app
    from pydantic import ValidationError
    from sqlalchemy.exc import OperationalError

    from rhizo.clinic.core import migrate
    from rhizo.clinic.core.config import Settings
    from rhizo.clinic.core.proxy import ProxySettings

    tls = tls_files(certfile, keyfile)
    url = database_url(db)
    try:
        settings = Settings(database_url=url)
        proxies = ProxySettings()
    except ValidationError as error:
        raise settings_error(error) from None
    try:
        current = migrate.current_revision(url)
    except OperationalError as error:
        first = str(error).strip().splitlines()[0]
        raise InputError(f"--db: cannot open {redacted(url)!r}: {first}") from None
    head = migrate.head_revision()
    if current != head:
        raise InputError(
            f"--db: {redacted(url)!r} is at revision {current}, not {head}; "
            "run 'rhizo db upgrade' first"
        )
    if settings.env != "production":
        raise InputError(
            f"RHIZO_ENV: {settings.env!r} is not allowed for rhizo serve, which serves patient "
            "data with production settings; unset it (or set 'production'), or use "
            "'rhizo demo' for a synthetic cohort"
        )
    scheme = "https" if tls is not None else "http"
    typer.echo(
        f"rhizo clinic on {scheme}://{host}:{port}/ (API {scheme}://{host}:{port}/api/v1, "
        f"docs /docs), database {redacted(url)}"
    )
    typer.echo(f"forwarding headers believed only from: {proxies.trusted_proxies or 'nobody'}")
    if tls is None and not _is_loopback(host):
        sys.stderr.write(
            f"warning: plain HTTP on {host}: put a TLS-terminating proxy in front "
            "(docs/security.md, 'Serving in production') or give --certfile/--keyfile\n"
        )
    app = create_web_app(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    """Add the web application's commands to the main app."""
    app.command("serve")(serve)
    app.command("demo")(demo)

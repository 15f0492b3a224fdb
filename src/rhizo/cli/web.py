"""``rhizo demo``: the clinic web application on a demo cohort (issue 6)."""

from __future__ import annotations

from typing import Annotated

import typer

from rhizo.cli._errors import InputError, settings_error


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def demo(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    patients: Annotated[
        int, typer.Option(help="Synthetic patients to create (first run only).", min=1, max=20000)
    ] = 200,
    serve: Annotated[
        bool, typer.Option(help="Serve after preparing (--no-serve: prepare and exit).")
    ] = True,
) -> None:
    """Run the clinic web app on a synthetic demo cohort (created once, labelled SYNTHETIC)."""
    try:
        import uvicorn

        from rhizo.clinic.demo.setup import DemoRefused, prepare
        from rhizo.clinic.web.app import create_web_app
    except ImportError as error:  # pragma: no cover - needs the web extra missing
        raise InputError(
            f"the web extra is not installed ({error.name}); pip install 'rhizo[web]'"
        ) from None
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

    typer.echo(f"rhizo demo clinic (SYNTHETIC data), database {_redacted(ready.url)}")
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
    typer.echo(f"open http://{host}:{port}/  (Ctrl-C to stop)")
    app = create_web_app(ready.settings, synthetic=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    """Add the web application's commands to the main app."""
    app.command("demo")(demo)

"""``rhizo knowledge``: what the pathway's cited facts rest on.

``rhizo knowledge counts [--format table|json]`` prints, per knowledge file, how
many facts were read in a primary text, a secondary summary, only a
patient-information page, one clinic's local protocol, or are recalled
(:mod:`rhizo.pathway.evidence`). A knowledge file the loader would refuse
(an unknown level, a ``verified:`` key) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from rhizo import DISCLAIMER
from rhizo.cli._errors import InputError, fail

knowledge_app = typer.Typer(
    name="knowledge",
    help="The cited facts of the care pathway and what each rests on.",
    no_args_is_help=True,
)

FORMATS = ("table", "json")


@knowledge_app.command("counts")
def counts_command(
    output_format: Annotated[
        str, typer.Option("--format", help="table (Markdown) | json")
    ] = "table",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Count the cited facts per knowledge file and evidence level."""
    from rhizo.pathway.evidence import counts, counts_json, markdown_table

    if output_format not in FORMATS:
        fail("--format", output_format, f"one of: {', '.join(FORMATS)}")
    if as_json:
        output_format = "json"
    try:
        rows = counts()
    except ValueError as error:
        raise InputError(f"knowledge files: {error}") from None
    if output_format == "json":
        typer.echo(json.dumps({**counts_json(rows), "disclaimer": DISCLAIMER}, indent=2))
        return
    typer.echo(markdown_table(rows))
    typer.echo(DISCLAIMER)


def register(app: typer.Typer) -> None:
    """Add ``rhizo knowledge`` to the main app."""
    app.add_typer(knowledge_app, name="knowledge")

"""``rhizo gate``: the stimulation gates' verdict on one lesion, before the burn.

The verdict is :func:`rhizo.clinic.procedure.service.evaluate` on a
:class:`rhizo.clinic.procedure.models.LesionCreate`: the same model (and so the
same value ranges) and the same function as the API's ``POST /gates/lesion``
and the web procedure form, so the three give one answer. Exit code 0 when the
lesion may proceed, 1 when a finding blocks it, 2 for a bad value (one line
naming the option, the value and what is allowed).

A negative motor test counts only when it reached ``max(2 V, 2 x the sensory
threshold)`` (``gates/motor-test-voltage``, common teaching, evidence
recalled); below that, or with no ``--motor-voltage``, the gate blocks and says
how high to repeat the test.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from rhizo import DISCLAIMER
from rhizo.cli._errors import fail_from_validation

#: Model field -> the option the user typed (for one-line errors).
OPTION_NAMES = {
    "target_nerve": "--nerve",
    "side": "--side",
    "motor_response": "--motor-response",
    "motor_test_voltage_v": "--motor-voltage",
    "sensory_response": "--sensory-response",
    "sensory_threshold_v": "--sensory-threshold",
    "local_anaesthetic_given": "--local-anaesthetic",
    "gauge": "--gauge",
    "tip_length_mm": "--tip-length",
    "set_temperature_c": "--temperature",
    "duration_s": "--duration",
    "placement": "--placement",
}


def gate(
    nerve: Annotated[str, typer.Option("--nerve", help="Target nerve, e.g. 'L4 medial branch'.")],
    side: Annotated[str, typer.Option("--side", help="left or right.")] = "left",
    motor_response: Annotated[
        str | None,
        typer.Option("--motor-response", help="2 Hz motor test: none, multifidus or limb."),
    ] = None,
    motor_voltage: Annotated[
        float | None, typer.Option("--motor-voltage", help="Highest 2 Hz test voltage, V.")
    ] = None,
    sensory_response: Annotated[
        str | None,
        typer.Option(
            "--sensory-response", help="50 Hz test: concordant, discordant, radicular or none."
        ),
    ] = None,
    sensory_threshold: Annotated[
        float | None, typer.Option("--sensory-threshold", help="50 Hz sensory threshold, V.")
    ] = None,
    local_anaesthetic: Annotated[
        bool,
        typer.Option(
            "--local-anaesthetic/--no-local-anaesthetic",
            help="Local anaesthetic given through the cannula.",
        ),
    ] = False,
    gauge: Annotated[int | None, typer.Option("--gauge", help="Cannula gauge.")] = None,
    tip_length: Annotated[
        float | None, typer.Option("--tip-length", help="Active tip length, mm.")
    ] = None,
    temperature: Annotated[
        float | None, typer.Option("--temperature", help="Set temperature, C.")
    ] = None,
    duration: Annotated[float | None, typer.Option("--duration", help="Lesion time, s.")] = None,
    placement: Annotated[
        str | None, typer.Option("--placement", help="parallel, oblique or perpendicular.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """The stimulation gates' verdict on one lesion (exit 0 proceed, 1 blocked)."""
    from rhizo.clinic.procedure import service
    from rhizo.clinic.procedure.models import LesionCreate

    given: dict[str, Any] = {
        "target_nerve": nerve,
        "side": side,
        "motor_response": motor_response,
        "motor_test_voltage_v": motor_voltage,
        "sensory_response": sensory_response,
        "sensory_threshold_v": sensory_threshold,
        "local_anaesthetic_given": local_anaesthetic,
        "gauge": gauge,
        "tip_length_mm": tip_length,
        "set_temperature_c": temperature,
        "duration_s": duration,
        "placement": placement,
    }
    try:
        lesion = LesionCreate.model_validate(
            {key: value for key, value in given.items() if value is not None}
        )
    except ValidationError as error:
        fail_from_validation(error, OPTION_NAMES)
    verdict = service.evaluate(lesion)
    if as_json:
        payload = {**verdict.model_dump(), "disclaimer": DISCLAIMER}
        typer.echo(json.dumps(payload, indent=2))
    else:
        typer.echo(f"{lesion.target_nerve}: {'proceed' if verdict.proceed else 'BLOCKED'}")
        for finding in verdict.findings:
            kind = "blocking" if finding.blocking else "advisory"
            typer.echo(f"- [{kind}] {finding.rule}: {finding.message}")
            typer.echo(f"  source: {finding.source}")
        typer.echo(DISCLAIMER)
    raise typer.Exit(0 if verdict.proceed else 1)


def register(app: typer.Typer) -> None:
    """Add ``rhizo gate`` to the main app."""
    app.command("gate")(gate)

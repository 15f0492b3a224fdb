"""``rhizo next-lesion``: where the second lesion should go, given the first placement.

For each nerve of the joint a second lesion (same setting and angle) is tried
across and along the nerve (:mod:`rhizo.planning.next_lesion`); the answer is the
marginal gain in capture probability and in expected coagulated length over the
first lesion alone, with the placement error shared between the passes or
independent.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from rhizo import DISCLAIMER
from rhizo.cli._errors import fail
from rhizo.cli.planning import (
    GaugeOption,
    JointOption,
    JsonFlag,
    MinLengthOption,
    OffsetOption,
    SamplesOption,
    SeedOption,
    TempOption,
    TimeOption,
    TipOption,
    check_common,
    placement_from_options,
    protocol_from_options,
    resolve_joint,
    tissue_line,
    tissue_report,
)
from rhizo.cli.planning_checks import MAX_ALONG_MM, emit_json, finite_in
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM


def next_lesion(
    joint: JointOption,
    gauge: GaugeOption = 18,
    tip_mm: TipOption = 10.0,
    temp_c: TempOption = 80.0,
    time_s: TimeOption = 90.0,
    angle_deg: Annotated[
        float, typer.Option("--angle-deg", help="First lesion: angle cannula-nerve, 0 to 90.")
    ] = 0.0,
    offset_mm: OffsetOption = 1.0,
    along_mm: Annotated[
        float,
        typer.Option("--along-mm", help="First lesion: tip midpoint along the nerve (mm)."),
    ] = 0.0,
    error: Annotated[
        str,
        typer.Option(
            "--error",
            help="Placement error between the passes: 'shared' (placed relative to the "
            "first) or 'independent' (a fresh placement).",
        ),
    ] = "shared",
    samples: SamplesOption = 2000,
    seed: SeedOption = 0,
    min_length_mm: MinLengthOption = MIN_CAPTURED_LENGTH_MM,
    top: Annotated[int, typer.Option("--top", help="Positions to show per nerve.")] = 5,
    as_json: JsonFlag = False,
) -> None:
    """Where should the next lesion go? Marginal gain of a second lesion (decision support)."""
    from rhizo.planning.lesions import lesion_for
    from rhizo.planning.next_lesion import ERROR_MODES
    from rhizo.planning.next_lesion import next_lesion as search

    target = resolve_joint(joint)
    check_common(target, samples, seed, offset_mm, min_length_mm)
    if samples > 100_000:
        fail("--samples", samples, "an integer from 1 to 100000 for next-lesion (63 pairs each)")
    finite_in(
        "--along-mm",
        along_mm,
        -MAX_ALONG_MM,
        MAX_ALONG_MM,
        f"a position from -{MAX_ALONG_MM:g} to {MAX_ALONG_MM:g} mm",
    )
    if error not in ERROR_MODES:
        fail("--error", error, "shared or independent")
    if not 1 <= top <= 1000:
        fail("--top", top, "an integer from 1 to 1000")
    first = placement_from_options(angle_deg, offset_mm).model_copy(
        update={"along_nerve_mm": along_mm}
    )
    protocol = protocol_from_options(gauge, tip_mm, temp_c, time_s)
    profile = lesion_for(protocol)
    answers = [
        search(
            profile,
            nerve,
            first,
            error_mode=error,  # type: ignore[arg-type]
            samples=samples,
            seed=seed,
            min_length_mm=min_length_mm,
        )
        for nerve in target.nerves
    ]
    payload: dict[str, Any] = {
        "inputs": {
            "joint": target.name,
            "gauge": gauge,
            "tip_mm": tip_mm,
            "temp_c": temp_c,
            "time_s": time_s,
            "angle_deg": angle_deg,
            "offset_mm": offset_mm,
            "along_mm": along_mm,
            "error": error,
            "samples": samples,
            "seed": seed,
            "min_captured_length_mm": min_length_mm,
        },
        "tissue": tissue_report(),
        "lesion_source": {"source": profile.source, "provenance": profile.provenance},
        "nerves": [answer.to_dict(top=top) for answer in answers],
    }
    if as_json:
        emit_json(payload)
        return
    _print(payload, top)


def _print(payload: dict[str, Any], top: int) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    inputs = payload["inputs"]
    for nerve in payload["nerves"]:
        first = nerve["first"]
        table = Table(
            title=(
                f"{inputs['joint']}, {nerve['nerve']}: second lesion ({inputs['error']} error); "
                f"first alone P {first['capture_probability']:.3f}, "
                f"coagulated {first['mean_captured_length_mm']:.1f} mm"
            )
        )
        for column in (
            "across mm", "along mm", "P(pair)", "95 % CI", "gain P", "coag. mm", "gain mm",
        ):  # fmt: skip
            table.add_column(column, justify="right")
        for option in nerve["options"][:top]:
            low, high = option["ci95"]
            table.add_row(
                f"{option['delta_across_mm']:+g}",
                f"{option['delta_along_mm']:+g}",
                f"{option['capture_probability']:.3f}",
                f"{low:.3f}-{high:.3f}",
                f"{option['gain_probability']:+.3f}",
                f"{option['mean_captured_length_mm']:.1f}",
                f"{option['gain_length_mm']:+.1f}",
            )
        console.print(table)
    console.print(
        "across: second lesion's offset minus the first's (negative = towards and past the "
        "nerve); along: shift along the nerve. Assumptions: docs/planning.md."
    )
    console.print(tissue_line(payload["tissue"]))
    console.print(DISCLAIMER, style="italic")

"""``rhizo capture`` and ``rhizo recommend``: nerve capture by an RF lesion.

``capture`` simulates one lesion and reports, per target nerve of the joint,
the captured length at the planned placement and the probability of capture
under anatomical variability and placement error (Monte Carlo, Wilson 95 %
interval). ``recommend`` ranks candidate settings for a joint. Bad input is one
line naming the option, the value and what is allowed (exit code 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError

from rhizo import DISCLAIMER
from rhizo.cli._errors import fail, fail_from_validation
from rhizo.cli.planning_checks import (
    check_angle,
    check_min_length,
    check_offset,
    check_plot_path,
    check_samples,
    check_seed,
    emit_json,
    field_bounds,
    finite_in,
)
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM

if TYPE_CHECKING:
    from rhizo.physics import LesionProtocol
    from rhizo.planning import CannulaPlacement, Joint

_PROTOCOL_OPTIONS = {
    "gauge": "--gauge",
    "tip_length_mm": "--tip-mm",
    "set_temperature_c": "--temp-c",
    "duration_s": "--time-s",
}
_PLACEMENT_OPTIONS = {"angle_deg": "--angle-deg", "offset_mm": "--offset-mm"}

JointOption = Annotated[str, typer.Option("--joint", help="Facet joint, e.g. L4-L5 or C2-C3.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
SamplesOption = Annotated[int, typer.Option("--samples", help="Monte Carlo samples per nerve.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed (reproducible runs).")]
GaugeOption = Annotated[int, typer.Option("--gauge", help="16, 18, 20 or 22.")]
TipOption = Annotated[float, typer.Option("--tip-mm", help="Active tip length (mm).")]
TempOption = Annotated[float, typer.Option("--temp-c", help="Set temperature (C).")]
TimeOption = Annotated[float, typer.Option("--time-s", help="Time at temperature (s).")]
OffsetOption = Annotated[
    float, typer.Option("--offset-mm", help="Planned offset across the nerve (mm, >= 0).")
]
MinLengthOption = Annotated[
    float,
    typer.Option(
        "--min-length-mm",
        help="Coagulated length of whole nerve that counts as capture (mm; default: three "
        "A-delta internodes, docs/planning.md).",
    ),
]

EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Lesion engine: 'axisymmetric' (default) or '3d' (bone of the level beside the "
        "nerve, L4-L5 and L5-S1; docs/engine3d.md).",
    ),
]
CellOption = Annotated[
    float | None, typer.Option("--cell-mm", help="With --engine 3d: cells near the tip (mm).")
]


def resolve_joint(name: str) -> Joint:
    from rhizo.planning import JOINTS, get_joint

    try:
        return get_joint(name)
    except KeyError:
        fail("--joint", name, f"one of: {', '.join(JOINTS)}")


def check_common(
    target: Joint, samples: int, seed: int, offset_mm: float, min_length_mm: float
) -> None:
    check_samples(samples)
    check_seed(seed)
    check_offset(offset_mm)
    check_min_length(min_length_mm, min(nerve.length_mm for nerve in target.nerves))


def protocol_from_options(
    gauge: int, tip_mm: float, temp_c: float, time_s: float
) -> LesionProtocol:
    from rhizo.physics import GAUGE_OUTER_DIAMETER_MM, LesionProtocol
    from rhizo.planning.lesions import planner_protocol

    if gauge not in GAUGE_OUTER_DIAMETER_MM:
        fail("--gauge", gauge, f"one of: {', '.join(map(str, GAUGE_OUTER_DIAMETER_MM))}")
    for field, value in (
        ("tip_length_mm", tip_mm),
        ("set_temperature_c", temp_c),
        ("duration_s", time_s),
    ):
        low, high = field_bounds(LesionProtocol, field)
        option = _PROTOCOL_OPTIONS[field]
        finite_in(option, value, low, high, f"a number from {low:g} to {high:g}")
    try:
        return planner_protocol(
            gauge=gauge, tip_length_mm=tip_mm, set_temperature_c=temp_c, duration_s=time_s
        )
    except ValidationError as error:
        fail_from_validation(error, _PROTOCOL_OPTIONS)


def placement_from_options(angle_deg: float, offset_mm: float) -> CannulaPlacement:
    from rhizo.planning import CannulaPlacement

    check_angle(angle_deg)
    check_offset(offset_mm)
    try:
        return CannulaPlacement(angle_deg=angle_deg, offset_mm=offset_mm)
    except ValidationError as error:
        fail_from_validation(error, _PLACEMENT_OPTIONS)


def tissue_report() -> dict[str, Any]:
    """Which tissue the planner's lesions are computed in, and what their edge means."""
    from rhizo.physics import CLINICAL_TISSUE, LesionProtocol

    protocol = LesionProtocol(tissue=CLINICAL_TISSUE)
    return {
        "name": protocol.tissue.name,
        "initial_temperature_c": protocol.tissue.initial_temperature_c,
        "damage_model": protocol.damage.name,
        "lesion_boundary_definition": protocol.lesion_boundary_definition,
    }


def tissue_line(tissue: dict[str, Any]) -> str:
    return (
        f"lesions computed in {tissue['name']} from {tissue['initial_temperature_c']:g} C; "
        f"edge: {tissue['lesion_boundary_definition']} ({tissue['damage_model']})"
    )


def planner_assumptions() -> list[str]:
    from rhizo.planning import SOURCES

    return [
        "homogeneous tissue; bone beside the nerve is not modelled",
        "a nerve point counts when its whole cross-section fits: r + nerve radius <= R(z)",
        *(f"{key}: {source.note}" for key, source in SOURCES.items() if key.startswith("assumed")),
    ]


def capture(
    joint: JointOption,
    side: Annotated[str, typer.Option("--side", help="left or right (mirror images).")] = "left",
    gauge: GaugeOption = 18,
    tip_mm: TipOption = 10.0,
    temp_c: TempOption = 80.0,
    time_s: TimeOption = 90.0,
    angle_deg: Annotated[
        float, typer.Option("--angle-deg", help="Angle cannula-nerve, 0 (parallel) to 90.")
    ] = 0.0,
    offset_mm: OffsetOption = 1.0,
    samples: SamplesOption = 10_000,
    seed: SeedOption = 0,
    min_length_mm: MinLengthOption = MIN_CAPTURED_LENGTH_MM,
    as_json: JsonFlag = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Save a PNG of the lesion and nerve.")
    ] = None,
    engine: EngineOption = "axisymmetric",
    cell_mm: CellOption = None,
) -> None:
    """Will this placement coagulate the joint's nerves, and how likely? (decision support)"""
    from rhizo.cli.capture3d import capture_3d, check_engine
    from rhizo.planning import estimate_capture, lesion_for

    target = resolve_joint(joint)
    if side.lower() not in ("left", "right"):
        fail("--side", side, "left or right")
    check_common(target, samples, seed, offset_mm, min_length_mm)
    check_plot_path("--plot", plot)
    cell_3d_mm = check_engine(engine, cell_mm, joint=target.name, plot=plot)
    placement = placement_from_options(angle_deg, offset_mm)
    protocol = protocol_from_options(gauge, tip_mm, temp_c, time_s)
    if cell_3d_mm is not None:
        capture_3d(
            target=target,
            side=side.lower(),
            placement=placement,
            protocol=protocol,
            inputs={
                "joint": target.name,
                "gauge": gauge,
                "tip_mm": tip_mm,
                "temp_c": temp_c,
                "time_s": time_s,
                "angle_deg": angle_deg,
                "offset_mm": offset_mm,
                "samples": samples,
                "seed": seed,
                "min_captured_length_mm": min_length_mm,
            },
            cell_mm=cell_3d_mm,
            samples=samples,
            seed=seed,
            min_length_mm=min_length_mm,
            as_json=as_json,
            plot=plot,
        )
        return
    profile = lesion_for(protocol)
    estimates = [
        estimate_capture(
            profile, nerve, placement, samples=samples, seed=seed, min_length_mm=min_length_mm
        )
        for nerve in target.nerves
    ]
    if plot is not None:
        _save_capture_plot(plot, profile, target, placement, protocol, seed, min_length_mm)
    dimensions = profile.dimensions
    payload: dict[str, Any] = {
        "inputs": {
            "joint": target.name,
            "side": side.lower(),
            "gauge": gauge,
            "tip_mm": tip_mm,
            "temp_c": temp_c,
            "time_s": time_s,
            "angle_deg": angle_deg,
            "offset_mm": offset_mm,
            "samples": samples,
            "seed": seed,
            "min_captured_length_mm": min_length_mm,
        },
        "tissue": tissue_report(),
        "lesion": dimensions.model_dump() if dimensions else None,
        "lesion_source": {"source": profile.source, "provenance": profile.provenance},
        "nerves": [
            {**estimate.to_dict(), "landmark": nerve.landmark, "diameter_mm": nerve.diameter_mm}
            for estimate, nerve in zip(estimates, target.nerves, strict=True)
        ],
        "assumptions": planner_assumptions(),
    }
    if plot is not None:
        payload["plot"] = str(plot)
    if as_json:
        emit_json(payload)
        return
    _print_capture(payload)


def _save_capture_plot(
    path: Path,
    profile: Any,
    target: Joint,
    placement: CannulaPlacement,
    protocol: LesionProtocol,
    seed: int,
    min_length_mm: float,
) -> None:
    from rhizo.planning.montecarlo import sweep
    from rhizo.plots.capture import capture_figure

    nerve = target.nerves[0]
    offsets = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0]
    angles = [0.0, 15.0, 30.0, 45.0, 60.0, 75.0, 90.0]
    figure = capture_figure(
        profile,
        nerve,
        placement,
        cannula_radius_mm=protocol.electrode.radius_m * 1e3,
        offsets_mm=offsets,
        offset_estimates=sweep(
            profile,
            nerve,
            placement,
            parameter="offset_mm",
            values=offsets,
            seed=seed,
            min_length_mm=min_length_mm,
        ),
        angles_deg=angles,
        angle_estimates=sweep(
            profile,
            nerve,
            placement,
            parameter="angle_deg",
            values=angles,
            seed=seed,
            min_length_mm=min_length_mm,
        ),
        title=(
            f"{target.name}, {nerve.name}: {protocol.gauge} G, {protocol.tip_length_mm:g} mm tip,"
            f" {protocol.set_temperature_c:g} C, {protocol.duration_s:g} s;"
            f" angle {placement.angle_deg:g} deg, offset {placement.offset_mm:g} mm"
        ),
    )
    figure.savefig(path, dpi=110)


def _print_capture(payload: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    inputs = payload["inputs"]
    table = Table(
        title=(
            f"Nerve capture at {inputs['joint']} ({inputs['side']}): {inputs['gauge']} G, "
            f"{inputs['tip_mm']:g} mm tip, {inputs['temp_c']:g} C, {inputs['time_s']:g} s, "
            f"angle {inputs['angle_deg']:g} deg, offset {inputs['offset_mm']:g} mm"
        )
    )
    for column in ("nerve", "captured length at plan (mm)", "P(capture)", "95 % CI"):
        table.add_column(column)
    for nerve in payload["nerves"]:
        low, high = nerve["ci95"]
        table.add_row(
            nerve["name"],
            f"{nerve['captured_length_mm']:.1f}",
            f"{nerve['capture_probability']:.3f}",
            f"{low:.3f}-{high:.3f}",
        )
    console.print(table)
    lesion = payload["lesion"]
    if lesion:
        console.print(
            f"lesion (Omega >= 1): width {lesion['width_mm']:.1f} mm, "
            f"length {lesion['length_mm']:.1f} mm, {payload['lesion_source']['provenance']}"
        )
    console.print(tissue_line(payload["tissue"]))
    console.print(
        f"captured = at least {inputs['min_captured_length_mm']:g} mm of nerve wholly inside the "
        f"lesion; {inputs['samples']} samples of anatomy and placement error (assumptions: "
        "docs/planning.md)."
    )
    if "plot" in payload:
        console.print(f"plot: {payload['plot']}")
    console.print(DISCLAIMER, style="italic")


def register(app: typer.Typer) -> None:
    """Add ``capture``, ``recommend`` and ``next-lesion`` to the main app."""
    from rhizo.cli.planning_next import next_lesion
    from rhizo.cli.planning_recommend import recommend

    app.command("capture")(capture)
    app.command("recommend")(recommend)
    app.command("next-lesion")(next_lesion)

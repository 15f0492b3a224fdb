"""``rhizo lesion3d``: one RF lesion on the 3D engine, optionally beside cortical bone.

``--mode bipolar|simultaneous|sequential --spacing-mm S`` runs two parallel cannulae
(:mod:`rhizo.physics.three_d.pairs3d`) and reports the confluence along the line
between their tips; ``--tines N`` deploys N tines from the (first) tip.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError

from rhizo import DISCLAIMER
from rhizo.cli._errors import fail, fail_from_validation
from rhizo.cli._progress import ProgressBar, ProgressOption, wanted
from rhizo.cli.lesion import OPTION_NAMES
from rhizo.physics import TISSUES, LesionProtocol

#: Allowed ranges of the grid options (mm): finer than 0.1 mm or a cube beyond 100 mm
#: needs more memory than a workstation has (0.25 mm in a 30 mm cube: 1.2 GB).
CELL_MM = (0.1, 2.0)
HALF_WIDTH_MM = (5.0, 50.0)
BONE_GAP_MM = (0.0, 20.0)
#: An internally cooled tip's coolant (rhizo.physics.three_d.cooling3d's own limits).
COOLANT_C = (0.0, 45.0)
COOLANT_ML_MIN = (0.0, 200.0)
SPACING_MM = (1.0, 30.0)
COOLING_S = (0.0, 600.0)
TINES = (0, 6)
TINE_LENGTH_MM = (0.5, 10.0)
TINE_ANGLE_DEG = (0.0, 90.0)
MODES = ("monopolar", "bipolar", "simultaneous", "sequential")
FAR_BOUNDARIES = ("default", "infinite", "grounded", "insulating")


def _in_range(option: str, value: float, bounds: tuple[float, float]) -> None:
    low, high = bounds
    if not low <= value <= high:
        fail(option, value, f"allowed: {low:g} to {high:g}")


def register(app: typer.Typer) -> None:
    """Add ``rhizo lesion3d``."""

    @app.command("lesion3d")
    def lesion3d(
        gauge: Annotated[int, typer.Option(help="cannula gauge: 16, 18, 20 or 22")] = 18,
        tip_mm: Annotated[float, typer.Option("--tip-mm", help="active tip, 2-20 mm")] = 10.0,
        temp_c: Annotated[float, typer.Option("--temp-c", help="set temperature, 37-95 C")] = 80.0,
        time_s: Annotated[
            float, typer.Option("--time-s", help="time at set temperature, 1-600 s")
        ] = 90.0,
        ramp_s: Annotated[float, typer.Option("--ramp-s", help="ramp, 0-120 s")] = 15.0,
        tissue: Annotated[
            str, typer.Option(help="tissue model: " + ", ".join(sorted(TISSUES)))
        ] = "chicken-breast-ex-vivo",
        cell_mm: Annotated[
            float, typer.Option("--cell-mm", help="cells near the tip, 0.1-2 mm")
        ] = 0.5,
        half_width_mm: Annotated[
            float, typer.Option("--half-width-mm", help="half the cube's side, 5-50 mm")
        ] = 15.0,
        bone_gap_mm: Annotated[
            float | None,
            typer.Option(
                "--bone-gap-mm",
                help="cortical bone half-space (x < -gap) this far from the axis, 0-20 mm",
            ),
        ] = None,
        mode: Annotated[
            str, typer.Option(help="monopolar, bipolar, simultaneous or sequential")
        ] = "monopolar",
        spacing_mm: Annotated[
            float,
            typer.Option("--spacing-mm", help="centre-to-centre spacing of a pair, 1-30 mm"),
        ] = 8.0,
        cooling_s: Annotated[
            float, typer.Option("--cooling-s", help="sequential: pause between, 0-600 s")
        ] = 0.0,
        far_name: Annotated[
            str,
            typer.Option(
                "--far-boundary",
                help="default, infinite, grounded or insulating (default: insulating for "
                "bipolar, infinite otherwise)",
            ),
        ] = "default",
        tines: Annotated[int, typer.Option("--tines", help="tines deployed from the tip, 0-6")] = 0,
        tine_length_mm: Annotated[
            float, typer.Option("--tine-length-mm", help="tine length, 0.5-10 mm")
        ] = 5.0,
        tine_angle_deg: Annotated[
            float, typer.Option("--tine-angle-deg", help="tine angle from the axis, 0-90")
        ] = 30.0,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
        coolant_c: Annotated[
            float | None,
            typer.Option(
                "--coolant-c",
                help="internally cooled tip: coolant temperature, 0-45 C (monopolar only)",
            ),
        ] = None,
        coolant_ml_min: Annotated[
            float,
            typer.Option("--coolant-ml-min", help="coolant flow with --coolant-c, 0-200 mL/min"),
        ] = 20.0,
        show_progress: ProgressOption = None,
    ) -> None:
        """Simulate one lesion in 3D; width across the shaft (towards x and y) and length."""
        _in_range("--cell-mm", cell_mm, CELL_MM)
        _in_range("--half-width-mm", half_width_mm, HALF_WIDTH_MM)
        if bone_gap_mm is not None:
            _in_range("--bone-gap-mm", bone_gap_mm, BONE_GAP_MM)
        if mode not in MODES:
            fail("--mode", mode, "allowed: " + ", ".join(MODES))
        if far_name not in FAR_BOUNDARIES:
            fail("--far-boundary", far_name, "allowed: " + ", ".join(FAR_BOUNDARIES))
        _in_range("--spacing-mm", spacing_mm, SPACING_MM)
        _in_range("--cooling-s", cooling_s, COOLING_S)
        if not TINES[0] <= tines <= TINES[1]:
            fail("--tines", tines, f"allowed: {TINES[0]} to {TINES[1]}")
        _in_range("--tine-length-mm", tine_length_mm, TINE_LENGTH_MM)
        _in_range("--tine-angle-deg", tine_angle_deg, TINE_ANGLE_DEG)
        if mode != "monopolar" and bone_gap_mm is not None:
            fail("--bone-gap-mm", bone_gap_mm, "allowed with --mode monopolar only")
        if coolant_c is not None:
            _in_range("--coolant-c", coolant_c, COOLANT_C)
            _in_range("--coolant-ml-min", coolant_ml_min, COOLANT_ML_MIN)
            if mode != "monopolar":
                fail("--coolant-c", coolant_c, "allowed with --mode monopolar only")
        if mode != "monopolar" and tines:
            fail("--tines", tines, "allowed with --mode monopolar only")
        try:
            protocol = LesionProtocol(
                gauge=gauge,
                tip_length_mm=tip_mm,
                set_temperature_c=temp_c,
                duration_s=time_s,
                ramp_s=ramp_s,
                tissue=tissue,
            )
        except ValidationError as error:
            fail_from_validation(error, OPTION_NAMES)
        far_boundary = None if far_name == "default" else far_name
        if mode != "monopolar":
            _pair(protocol, mode, spacing_mm, cooling_s, far_boundary, cell_mm, as_json)
            return
        from rhizo.physics.three_d.cannulae3d import TRIDENT_LIKE_TINES, Cannula3D, Tines
        from rhizo.physics.three_d.cooling3d import InternalCooling
        from rhizo.physics.three_d.engine3d import simulate3d
        from rhizo.physics.three_d.geometry3d import (
            CORTICAL_BONE,
            CannulaPose,
            Scene,
            box_mask,
            grid_around_cannula,
        )

        pose = CannulaPose(protocol.electrode)
        grid = grid_around_cannula(
            pose, cell_m=cell_mm * 1e-3, fine_margin_m=4e-3, half_width_m=half_width_mm * 1e-3
        )
        cannulae: tuple[Cannula3D, ...] = ()
        if tines:
            deployed = Tines(
                count=tines,
                length_m=tine_length_mm * 1e-3,
                angle_deg=tine_angle_deg,
                radius_m=TRIDENT_LIKE_TINES.radius_m,
            )
            cannulae = (Cannula3D(pose, tines=deployed),)
        far = 2 * half_width_mm * 1e-3
        solids = (
            ((CORTICAL_BONE, box_mask(grid, (-far, -far, -far), (-bone_gap_mm * 1e-3, far, far))),)
            if bone_gap_mm is not None
            else ()
        )
        scene = Scene.build(grid, pose, protocol.tissue, solids)
        if cannulae:
            scene = Scene.build_multi(grid, cannulae, protocol.tissue, solids)
        bar = ProgressBar(label="lesion3d") if wanted(show_progress) else None
        try:
            result = simulate3d(
                protocol,
                scene,
                far_boundary=far_boundary or "infinite",  # type: ignore[arg-type]
                progress=bar,
                cooling=(
                    None
                    if coolant_c is None
                    else InternalCooling(
                        coolant_temperature_c=coolant_c, flow_ml_per_min=coolant_ml_min
                    )
                ),
            )
        except ValueError as error:
            fail("--cell-mm", cell_mm, str(error))
        finally:
            if bar is not None:
                bar.close()
        lesion = result.lesion
        traces = result.traces
        payload = {
            "lesion_mm": lesion.model_dump(),
            "final": {
                name: float(values[-1])
                for name, values in traces.items()
                if name != "time_s" and values.size
            },
            "diagnostics": result.diagnostics,
            "bone_gap_mm": bone_gap_mm,
            "coolant": None
            if coolant_c is None
            else {"temperature_c": coolant_c, "flow_ml_per_min": coolant_ml_min},
            "tines": tines,
            "notice": DISCLAIMER,
        }
        if as_json:
            typer.echo(json.dumps(payload, allow_nan=False))
            return
        typer.echo(
            f"3D lesion: width {lesion.width_mm:.2f} mm (x {lesion.width_u_mm:.2f}, "
            f"y {lesion.width_v_mm:.2f}), length {lesion.length_mm:.2f} mm, "
            f"{int(result.diagnostics['cells']):,} cells, "
            f"{result.diagnostics['runtime_s']:.1f} s"
        )
        typer.echo(DISCLAIMER)


def _pair(
    protocol: LesionProtocol,
    mode: str,
    spacing_mm: float,
    cooling_s: float,
    far_boundary: str | None,
    cell_mm: float,
    as_json: bool,
) -> None:
    """Two parallel cannulae ``spacing_mm`` apart: the lesion and the confluence."""
    from rhizo.physics.three_d.pairs3d import simulate_pair

    if spacing_mm * 1e-3 <= 2 * protocol.electrode.radius_m:
        fail(
            "--spacing-mm",
            spacing_mm,
            f"allowed: more than the cannula's diameter {2e3 * protocol.electrode.radius_m:g} mm",
        )
    try:
        run = simulate_pair(
            protocol,
            spacing_mm * 1e-3,
            mode=mode,  # type: ignore[arg-type]
            cell_m=cell_mm * 1e-3,
            cooling_s=cooling_s,
            far_boundary=far_boundary,  # type: ignore[arg-type]
        )
    except ValueError as error:
        fail("--cell-mm", cell_mm, str(error))
    result = run.result
    traces = result.traces
    payload = {
        "mode": mode,
        "spacing_mm": spacing_mm,
        "cooling_s": cooling_s if mode == "sequential" else None,
        "confluence": run.confluence.model_dump(),
        "lesion_mm": result.lesion.model_dump(),
        "final": {
            name: float(values[-1])
            for name, values in traces.items()
            if name != "time_s" and values.size
        },
        "diagnostics": result.diagnostics,
        "notice": DISCLAIMER,
    }
    if as_json:
        typer.echo(json.dumps(payload, allow_nan=False))
        return
    joined = run.confluence
    typer.echo(
        f"3D {mode} pair {spacing_mm:g} mm apart: "
        f"{'confluent' if joined.confluent else f'not confluent (gap {joined.gap_mm:.2f} mm)'}, "
        f"lowest log10 Omega between the tips {joined.min_log10_omega:.2f}, midpoint peak "
        f"{joined.midpoint_peak_c or 0.0:.1f} C, {int(result.diagnostics['cells']):,} cells"
    )
    typer.echo(DISCLAIMER)

"""``rhizo lesion3d``: one RF lesion on the 3D engine, optionally beside cortical bone."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from pydantic import ValidationError

from rhizo import DISCLAIMER
from rhizo.cli._errors import fail, fail_from_validation
from rhizo.cli.lesion import OPTION_NAMES
from rhizo.physics import TISSUES, LesionProtocol

#: Allowed ranges of the grid options (mm): finer than 0.1 mm or a cube beyond 100 mm
#: needs more memory than a workstation has (0.25 mm in a 30 mm cube: 1.2 GB).
CELL_MM = (0.1, 2.0)
HALF_WIDTH_MM = (5.0, 50.0)
BONE_GAP_MM = (0.0, 20.0)


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
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    ) -> None:
        """Simulate one lesion in 3D; width across the shaft (towards x and y) and length."""
        _in_range("--cell-mm", cell_mm, CELL_MM)
        _in_range("--half-width-mm", half_width_mm, HALF_WIDTH_MM)
        if bone_gap_mm is not None:
            _in_range("--bone-gap-mm", bone_gap_mm, BONE_GAP_MM)
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
        far = 2 * half_width_mm * 1e-3
        solids = (
            ((CORTICAL_BONE, box_mask(grid, (-far, -far, -far), (-bone_gap_mm * 1e-3, far, far))),)
            if bone_gap_mm is not None
            else ()
        )
        scene = Scene.build(grid, pose, protocol.tissue, solids)
        try:
            result = simulate3d(protocol, scene)
        except ValueError as error:
            fail("--cell-mm", cell_mm, str(error))
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

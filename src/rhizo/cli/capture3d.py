"""``rhizo capture --engine 3d`` and ``rhizo recommend --engine 3d``.

The lesion comes from the 3D engine with the bone of the joint's lumbar level
beside the nerve (:mod:`rhizo.planning.capture3d_run`): one simulation per nerve
(and per candidate for ``recommend``), in the planner's tissue at body
temperature. The output carries the axisymmetric path's fields plus
``engine: "3d"``, the cells and the runtime; progress goes to stderr. Bad option
combinations are one line, exit code 2.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, NoReturn

import typer

from rhizo import DISCLAIMER
from rhizo.cli._errors import fail
from rhizo.cli.planning_checks import emit_json, finite_in

#: Engines the planner's commands accept.
ENGINES = ("axisymmetric", "3d")
#: Allowed 3D cells near the tip (mm): finer than 0.3 mm runs minutes per nerve; above
#: 0.8 mm no cell centre may fall inside a 22 G cannula's metal (rhizo lesion3d's bound).
CELL_MM = (0.3, 0.8)
#: Candidates re-scored on the 3D engine by ``recommend --engine 3d``.
TOP_3D = (1, 10)


def check_engine(
    engine: str,
    cell_mm: float | None,
    *,
    joint: str | None = None,
    plot: Path | None = None,
    top_3d: int | None = None,
    plots_3d: bool = True,
) -> float | None:
    """Validate ``--engine`` and its companions; the 3D cell size (mm), None for 2D."""
    from rhizo.planning.capture3d_run import DEFAULT_CELL_MM, SUPPORTED_JOINTS

    if engine not in ENGINES:
        fail("--engine", engine, "axisymmetric or 3d")
    if engine == "axisymmetric":
        if cell_mm is not None:
            fail("--cell-mm", cell_mm, "only with --engine 3d")
        return None
    if joint is not None and joint not in SUPPORTED_JOINTS:
        fail("--joint", joint, f"with --engine 3d one of: {', '.join(SUPPORTED_JOINTS)}")
    if plot is not None and not plots_3d:
        fail("--plot", str(plot), "not with --engine 3d here (the axisymmetric ranking's figure)")
    if top_3d is not None and not TOP_3D[0] <= top_3d <= TOP_3D[1]:
        fail("--top-3d", top_3d, f"an integer from {TOP_3D[0]} to {TOP_3D[1]}")
    if cell_mm is None:
        return DEFAULT_CELL_MM
    low, high = CELL_MM
    return finite_in("--cell-mm", cell_mm, low, high, f"a number from {low:g} to {high:g}")


def _fail_run(error: ValueError, offset_mm: float, cell_mm: float) -> NoReturn:
    """One line for a refused 3D run: the placement for a pose in bone, else the grid."""
    from rhizo.planning.capture3d_run import BonePoseError

    if isinstance(error, BonePoseError):
        fail("--offset-mm", offset_mm, str(error))
    fail("--cell-mm", cell_mm, str(error))


def _progress(message: str) -> None:
    typer.echo(message, err=True)


def capture_3d(
    *,
    target: Any,
    side: str,
    placement: Any,
    protocol: Any,
    inputs: dict[str, Any],
    cell_mm: float,
    samples: int,
    seed: int,
    min_length_mm: float,
    as_json: bool,
    plot: Path | None = None,
) -> None:
    """Run the 3D capture of every nerve of ``target`` and print or emit it; ``plot``
    saves the first nerve's two slices (:mod:`rhizo.plots.lesion3d_slices`)."""
    from rhizo.cli.planning import planner_assumptions, tissue_report
    from rhizo.planning.capture3d_run import SAMPLED, capture3d

    started = time.perf_counter()
    results: list[Any] = []
    for nerve in target.nerves:
        try:
            results.append(
                capture3d(
                    protocol,
                    nerve,
                    placement,
                    cell_mm=cell_mm,
                    samples=samples,
                    seed=seed,
                    min_length_mm=min_length_mm,
                    progress=_progress,
                    keep_fields=plot is not None and not results,
                )
            )
        except ValueError as error:
            _fail_run(error, inputs["offset_mm"], cell_mm)
    if plot is not None:
        _save_slices(plot, results[0], target.nerves[0], target.name)
    payload: dict[str, Any] = {
        "engine": "3d",
        "inputs": {**inputs, "side": side, "cell_mm": cell_mm},
        "tissue": tissue_report(),
        "lesion": results[0].lesion.model_dump(),
        "lesion_source": {"source": "solver", "provenance": "3D engine, bone of the level"},
        "nerves": [
            {**result.to_dict(), "landmark": nerve.landmark, "diameter_mm": nerve.diameter_mm}
            for result, nerve in zip(results, target.nerves, strict=True)
        ],
        "cells": sum(result.cells for result in results),
        "runtime_s": round(time.perf_counter() - started, 2),
        "sampled": SAMPLED,
        "assumptions": [
            assumption
            for assumption in planner_assumptions()
            if not assumption.startswith("homogeneous tissue")
        ]
        + ["bone: the parametric lumbar level of docs/engine3d.md (dimensions mostly assumed)"],
        "notice": DISCLAIMER,
        **({"plot": str(plot)} if plot is not None else {}),
    }
    if as_json:
        emit_json(payload)
        return
    _print(payload)


def _save_slices(path: Path, result: Any, nerve: Any, joint: str) -> None:
    from rhizo.planning.montecarlo import CENTRELINE_SPACING_MM
    from rhizo.plots.lesion3d_slices import slices_figure

    grid, log10_omega, labels, pose = result.fields
    figure = slices_figure(
        grid,
        log10_omega,
        labels,
        pose,
        nerve_m=nerve.centreline_m(CENTRELINE_SPACING_MM),
        nerve_radius_m=nerve.radius_m,
        title=f"{joint}, {nerve.name}: 3D lesion beside the {result.bone} bone",
    )
    figure.savefig(path, dpi=110)


def _print(payload: dict[str, Any]) -> None:
    inputs = payload["inputs"]
    typer.echo(
        f"Nerve capture at {inputs['joint']} ({inputs['side']}), 3D engine with bone: "
        f"{inputs['gauge']} G, {inputs['tip_mm']:g} mm tip, {inputs['temp_c']:g} C, "
        f"{inputs['time_s']:g} s, angle {inputs['angle_deg']:g} deg, offset "
        f"{inputs['offset_mm']:g} mm, {inputs['cell_mm']:g} mm cells"
    )
    for nerve in payload["nerves"]:
        low, high = nerve["ci95"]
        lesion = nerve["lesion_3d_mm"]
        typer.echo(
            f"  {nerve['name']} ({nerve['bone']}): captured {nerve['captured_length_mm']:.1f} mm "
            f"at plan, P(capture) {nerve['capture_probability']:.3f} ({low:.3f}-{high:.3f}); "
            f"lesion width {lesion['width_u_mm']:.1f} x {lesion['width_v_mm']:.1f} mm, "
            f"length {lesion['length_mm']:.1f} mm; {nerve['final_impedance_ohm']:.0f} ohm; "
            f"{nerve['cells']:,} cells, {nerve['runtime_s']:.1f} s"
        )
    typer.echo(f"sampled: {payload['sampled']}")
    if "plot" in payload:
        typer.echo(f"plot: {payload['plot']}")
    typer.echo(DISCLAIMER)


def recommend_3d(
    *, target: Any, ranked: list[Any], offset_mm: float, cell_mm: float, top_3d: int, **run: Any
) -> dict[str, Any]:
    """Re-score the first ``top_3d`` safe one-lesion candidates of the axisymmetric ranking
    on the 3D engine: per nerve, then the joint (:func:`rhizo.planning.recommend.joint_capture`)."""
    from rhizo.planning import CannulaPlacement
    from rhizo.planning.capture3d_run import SAMPLED, capture3d
    from rhizo.planning.recommend import joint_capture

    chosen = [e for e in ranked if e.safe and e.candidate.lesion_count == 1][:top_3d]
    started = time.perf_counter()
    rows = []
    for entry in chosen:
        candidate = entry.candidate
        placement = CannulaPlacement(angle_deg=candidate.angle_deg, offset_mm=offset_mm)
        protocol = candidate.setting.protocol()
        _progress(f"3D: {entry.label}")
        try:
            results = [
                capture3d(protocol, nerve, placement, cell_mm=cell_mm, progress=_progress, **run)
                for nerve in target.nerves
            ]
        except ValueError as error:
            _fail_run(error, offset_mm, cell_mm)
        probability, interval = joint_capture([result.estimate for result in results])
        rows.append(
            {
                "label": entry.label,
                "axisymmetric_joint_capture_probability": entry.joint_probability,
                "joint_capture_probability": probability,
                "joint_ci95": list(interval),
                "nerves": [result.to_dict() for result in results],
                "cells": sum(result.cells for result in results),
            }
        )
    return {
        "engine": "3d",
        "cell_mm": cell_mm,
        "rescored": "the first safe one-lesion candidates of the axisymmetric ranking, in order",
        "candidates": rows,
        "runtime_s": round(time.perf_counter() - started, 2),
        "sampled": SAMPLED,
    }


def print_recommend_3d(report: dict[str, Any]) -> None:
    """The re-scored candidates, one line each."""
    typer.echo(f"3D engine with bone ({report['cell_mm']:g} mm cells), {report['rescored']}:")
    for row in report["candidates"]:
        low, high = row["joint_ci95"]
        flat = row["axisymmetric_joint_capture_probability"]
        typer.echo(
            f"  {row['label']}: P(joint) {row['joint_capture_probability']:.3f} "
            f"({low:.2f}-{high:.2f}), axisymmetric {flat:.3f}"
        )
    typer.echo(f"sampled: {report['sampled']}")

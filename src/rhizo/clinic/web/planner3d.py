"""The planner page's 3D capture: the lesion beside the bone of the joint's lumbar level.

"Plan capture, 3D engine with bone" runs :func:`rhizo.planning.capture3d_run.capture3d`
per nerve (as ``rhizo capture --engine 3d`` does: the planner's planned pose, the
parametric level's bone, the page's tissue and setting, :data:`WEB_CELL_MM` cells,
the page's capture samples and seed) off the event loop, and draws the first
nerve's lesion in the cannula's plane and across it
(:func:`rhizo.plots.lesion3d_slices.slices_figure`). Joints without a parametric
level are refused inline.
"""

from __future__ import annotations

from dataclasses import dataclass

from rhizo.physics import LesionProtocol
from rhizo.planning import CannulaPlacement, Joint
from rhizo.planning.capture3d_run import (
    SAMPLED,
    SUPPORTED_JOINTS,
    BonePoseError,
    Capture3D,
    capture3d,
)
from rhizo.planning.montecarlo import CENTRELINE_SPACING_MM
from rhizo.plots.lesion3d_slices import slices_figure
from rhizo.plots.pain import figure_svg

#: Cells near the tip (mm) of the page's 3D runs: about 5 s a nerve on one core.
WEB_CELL_MM = 0.5


@dataclass(frozen=True)
class Capture3DView:
    """Each nerve's 3D capture, the slices of the first, and what was sampled."""

    joint: Joint
    placement: CannulaPlacement
    results: list[Capture3D]
    svg: str
    samples: int
    seed: int
    cell_mm: float
    sampled: str = SAMPLED


def joint_error(joint: Joint) -> dict[str, str]:
    """{"joint": why} when the joint has no parametric bone, else {}."""
    if joint.name in SUPPORTED_JOINTS:
        return {}
    return {"joint": f"the 3D engine with bone: one of {', '.join(SUPPORTED_JOINTS)}"}


def capture3d_for(
    protocol: LesionProtocol, joint: Joint, placement: CannulaPlacement, *, samples: int, seed: int
) -> Capture3DView | dict[str, str]:
    """The 3D capture of every nerve of ``joint``, or {"offset_mm": why} when the planned
    cannula's metal would enter the bone."""
    try:
        results = [
            capture3d(
                protocol,
                nerve,
                placement,
                cell_mm=WEB_CELL_MM,
                samples=samples,
                seed=seed,
                keep_fields=index == 0,
            )
            for index, nerve in enumerate(joint.nerves)
        ]
    except BonePoseError as error:
        return {"offset_mm": str(error)}
    first, nerve = results[0], joint.nerves[0]
    if first.fields is None:
        raise RuntimeError("the first nerve's 3D fields were not kept")
    grid, log10_omega, labels, pose = first.fields
    figure = slices_figure(
        grid,
        log10_omega,
        labels,
        pose,
        nerve_m=nerve.centreline_m(CENTRELINE_SPACING_MM),
        nerve_radius_m=nerve.radius_m,
        title=f"{joint.name}, {nerve.name}: 3D lesion beside the bone",
    )
    return Capture3DView(
        joint=joint,
        placement=placement,
        results=results,
        svg=figure_svg(figure, title="3D lesion beside bone"),
        samples=samples,
        seed=seed,
        cell_mm=WEB_CELL_MM,
    )

"""Two parallel cannulae: bipolar, simultaneous or sequential lesions, and their confluence.

The bench set-ups of the confluence studies, on one grid around both tips:

- ``bipolar``: cannula 1 active, cannula 2 return, no pad (far faces insulating by
  default: a block of tissue on a non-conducting bench), the generator holding the
  hotter tip at the set temperature (:mod:`rhizo.physics.three_d.engine3d`);
- ``simultaneous``: both cannulae active at one voltage against a far pad (far faces
  "infinite"), hottest tip controlled;
- ``sequential``: cannula 1 alone (monopolar, "infinite" far faces), ``cooling_s`` at
  zero power, then cannula 2 alone from the tissue cannula 1 left
  (:mod:`rhizo.physics.three_d.sequential3d`).

Confluence is :func:`rhizo.physics.three_d.measure3d.confluence` along the line between
the two active tips' centres, on the total Omega.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.cannulae3d import Cannula3D, parallel_pair
from rhizo.physics.three_d.engine3d import Lesion3DResult, simulate3d
from rhizo.physics.three_d.fv3d import FarBoundary
from rhizo.physics.three_d.geometry3d import CannulaPose, Scene, grid_around_cannulae
from rhizo.physics.three_d.measure3d import Confluence3D, confluence
from rhizo.physics.three_d.sequential3d import simulate_sequential

PairMode = Literal["bipolar", "simultaneous", "sequential"]
PAIR_MODES: tuple[PairMode, ...] = ("bipolar", "simultaneous", "sequential")

#: Far faces per mode when the caller names none (see the module docstring).
DEFAULT_FAR: dict[PairMode, FarBoundary] = {
    "bipolar": "insulating",
    "simultaneous": "infinite",
    "sequential": "infinite",
}


@dataclass(frozen=True)
class PairRun:
    """A two-cannula run: the (last) lesion's result, every lesion's, and the confluence."""

    mode: PairMode
    result: Lesion3DResult
    results: tuple[Lesion3DResult, ...]
    confluence: Confluence3D
    cannulae: tuple[Cannula3D, Cannula3D]


def simulate_pair(
    protocol: LesionProtocol,
    spacing_m: float,
    *,
    mode: PairMode = "bipolar",
    cell_m: float = 0.5e-3,
    fine_margin_m: float = 3e-3,
    margin_m: float = 10e-3,
    cooling_s: float = 0.0,
    far_boundary: FarBoundary | None = None,
) -> PairRun:
    """Two parallel cannulae of ``protocol``'s electrode ``spacing_m`` apart (centres).

    Raises ``ValueError`` naming the argument for an unknown mode or a spacing that
    does not clear the cannulae.
    """
    if mode not in PAIR_MODES:
        raise ValueError(f"mode={mode!r} must be one of {', '.join(PAIR_MODES)}")
    pose = CannulaPose(protocol.electrode)
    first, second = parallel_pair(pose, spacing_m)
    if mode == "simultaneous":
        second = Cannula3D(second.pose, "active", name=second.name)
    pair = (first, second)
    grid = grid_around_cannulae(pair, cell_m=cell_m, fine_margin_m=fine_margin_m, margin_m=margin_m)
    far = far_boundary or DEFAULT_FAR[mode]
    if mode == "sequential":
        scenes = tuple(Scene.build(grid, cannula.pose, protocol.tissue) for cannula in pair)
        results = simulate_sequential(protocol, scenes, cooling_s=cooling_s, far_boundary=far)
    else:
        scene = Scene.build_multi(grid, pair, protocol.tissue)
        results = (simulate3d(protocol, scene, far_boundary=far),)
    last = results[-1]
    joined = confluence(
        grid,
        last.log10_omega,
        first.tip_centre_m,
        second.tip_centre_m,
        peak_temperature_c=last.peak_temperature_c,
    )
    return PairRun(mode=mode, result=last, results=results, confluence=joined, cannulae=pair)

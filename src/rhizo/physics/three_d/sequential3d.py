"""Sequential lesions in 3D: the second starts from the tissue the first left.

    lesion 1 (scene 1) -> cooling at zero power for ``cooling_s`` (cannula 1 still in
    place, implicit Euler steps of at most COOLING_STEP_S) -> lesion 2 (scene 2, the
    cannula moved) from lesion 1's temperature, peak and accumulated Omega.

The physics is :func:`rhizo.physics.three_d.engine3d.simulate3d`'s (the cooling steps
use its tissue fields, perfusion fraction, Arrhenius log-rate and the shared
:func:`rhizo.physics.damage.step_increment`), so the result's Omega is the total
dose of both lesions and the cooling between them, and its peak temperature the
highest of the whole sequence. Every scene must share one grid.
"""

from __future__ import annotations

import math

import numpy as np

from rhizo.physics.damage import step_increment
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.engine3d import (
    Lesion3DResult,
    Tissue3DState,
    _log_rate,
    _perfusion_fraction,
    _tissue_fields,
    simulate3d,
)
from rhizo.physics.three_d.fv3d import FarBoundary, Geometry3D
from rhizo.physics.three_d.geometry3d import Scene
from rhizo.physics.three_d.heat3d import HeatStepper3D

#: Longest implicit-Euler step of the cooling interval (s).
COOLING_STEP_S = 1.0


def cool3d(
    protocol: LesionProtocol, scene: Scene, state: Tissue3DState, duration_s: float
) -> Tissue3DState:
    """The tissue after ``duration_s`` at zero power with ``scene``'s cannulae in place."""
    if not math.isfinite(duration_s) or duration_s < 0:
        raise ValueError(f"cooling duration_s={duration_s:g} must be finite and >= 0")
    if duration_s == 0:
        return state
    geometry = Geometry3D.build(scene.grid, scene.pose, scene.cannulae or None)
    fields = _tissue_fields(scene, geometry, protocol)
    tissue = protocol.tissue
    heat = HeatStepper3D(
        geometry,
        conductivity_w_per_m_k=fields["k"],
        volumetric_heat_capacity_j_per_m3_k=fields["rho_c"],
        perfusion_w_per_m3_k=fields["w"],
        far_temperature_c=tissue.initial_temperature_c,
        arterial_temperature_c=tissue.arterial_temperature_c,
        insulation_resistance_m2k_per_w=protocol.electrode.insulation_thermal_resistance_m2k_per_w,
    )
    steps = max(1, math.ceil(duration_s / COOLING_STEP_S))
    dt = duration_s / steps
    solver = heat.solver(dt)
    temperature = np.array(state.temperature_c, dtype=np.float64)
    omega = np.array(state.omega, dtype=np.float64)
    peak = np.array(state.peak_temperature_c, dtype=np.float64)
    log_rate_old = _log_rate(scene, protocol, temperature)
    for _ in range(steps):
        rhs = heat.heat_capacity_j_per_k / dt * temperature + heat.fixed_w
        if np.any(heat.perfusion_w_per_k > 0):
            fraction = _perfusion_fraction(scene, omega)
            rhs = rhs + heat.perfusion_w_per_k * (1.0 - fraction) * (
                temperature - heat.arterial_temperature_c
            )
        temperature = solver.solve(rhs.ravel(), temperature.ravel()).reshape(temperature.shape)
        log_rate_new = _log_rate(scene, protocol, temperature)
        omega += step_increment(dt, log_rate_old, log_rate_new)
        log_rate_old = log_rate_new
        np.maximum(peak, temperature, out=peak)
    return Tissue3DState(temperature_c=temperature, omega=omega, peak_temperature_c=peak)


def simulate_sequential(
    protocol: LesionProtocol,
    scenes: tuple[Scene, ...],
    *,
    cooling_s: float = 0.0,
    far_boundary: FarBoundary = "infinite",
) -> tuple[Lesion3DResult, ...]:
    """One lesion per scene in order, each from the tissue the previous left.

    Returns every lesion's result; the last one's ``omega`` is the total. Raises
    ``ValueError`` when the scenes do not share one grid.
    """
    if not scenes:
        raise ValueError("scenes must hold at least one scene")
    first = scenes[0].grid
    for number, scene in enumerate(scenes[1:], start=2):
        if scene.grid.shape != first.shape or not all(
            np.array_equal(a, b) for a, b in zip(scene.grid.faces, first.faces, strict=True)
        ):
            raise ValueError(f"scene {number}'s grid differs from scene 1's: use one grid")
    results: list[Lesion3DResult] = []
    state: Tissue3DState | None = None
    for number, scene in enumerate(scenes):
        if state is not None:
            state = cool3d(protocol, scenes[number - 1], state, cooling_s)
        result = simulate3d(protocol, scene, far_boundary=far_boundary, initial=state)
        results.append(result)
        state = result.state
    return tuple(results)

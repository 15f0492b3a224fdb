"""Sequential lesions: the second starts from the temperature and Omega the first left.

Exact check of the cooling interval: tissue uniformly at its initial temperature T0
(= the far and arterial temperatures) with no power stays at T0, so the Arrhenius
dose over the interval is exactly Omega = A exp(-E_a / (R T0)) t (the damage model's
own log-rate, a constant). Physics check of the sequence: heating pre-warmed tissue
adds more dose than heating fresh tissue, so at the midpoint between two sequential
lesions Omega_total >= Omega_1 + Omega_2(alone from fresh tissue).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import RegularGridInterpolator

from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.cannulae3d import parallel_pair
from rhizo.physics.three_d.engine3d import Tissue3DState, simulate3d
from rhizo.physics.three_d.geometry3d import CannulaPose, Scene, grid_around_cannulae
from rhizo.physics.three_d.pairs3d import simulate_pair
from rhizo.physics.three_d.sequential3d import cool3d, simulate_sequential

PROTOCOL = LesionProtocol(
    gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=30, ramp_s=10
)


def _scenes(spacing_m: float, cell_m: float = 0.6e-3) -> tuple[Scene, Scene]:
    pair = parallel_pair(CannulaPose(PROTOCOL.electrode), spacing_m)
    grid = grid_around_cannulae(pair, cell_m=cell_m, fine_margin_m=2e-3, margin_m=6e-3)
    first, second = (Scene.build(grid, c.pose, PROTOCOL.tissue) for c in pair)
    return first, second


def test_cooling_at_uniform_temperature_accumulates_the_exact_arrhenius_dose() -> None:
    scene, _ = _scenes(6e-3, 0.8e-3)
    t0 = PROTOCOL.tissue.initial_temperature_c
    shape = scene.grid.shape
    start = Tissue3DState(
        temperature_c=np.full(shape, t0),
        omega=np.full(shape, 0.25),
        peak_temperature_c=np.full(shape, t0),
    )
    after = cool3d(PROTOCOL, scene, start, 7.5)
    exact = 0.25 + float(np.exp(PROTOCOL.damage.log_rate(np.array([t0]))[0])) * 7.5
    assert np.allclose(after.temperature_c, t0, atol=1e-7)
    assert np.allclose(after.omega, exact, rtol=1e-9)
    with pytest.raises(ValueError, match="cooling duration_s=-1 must be finite and >= 0"):
        cool3d(PROTOCOL, scene, start, -1.0)


def test_the_second_lesion_adds_to_the_dose_the_first_left() -> None:
    spacing = 4e-3
    first, second = _scenes(spacing)
    one, two = simulate_sequential(PROTOCOL, (first, second), cooling_s=5.0)
    alone = simulate3d(PROTOCOL, second)
    grid = first.grid
    centres = tuple(grid.centres_m(a) for a in range(3))
    length = PROTOCOL.electrode.tip_length_m
    midpoint = np.array([[spacing / 2, 0.0, -length / 2]])

    def at_mid(field: np.ndarray) -> float:
        return float(RegularGridInterpolator(centres, field)(midpoint)[0])

    assert two.omega is not None
    assert one.omega is not None
    assert alone.omega is not None
    total, first_dose, fresh = at_mid(two.omega), at_mid(one.omega), at_mid(alone.omega)
    assert total >= first_dose + fresh
    # Omega only accumulates, and the peak is the whole sequence's.
    assert np.all(two.omega >= one.omega)
    assert np.all(two.peak_temperature_c >= one.peak_temperature_c)
    # The second lesion started warm: its first traced tip temperature is above T0.
    assert two.traces["tip_temperature_c"][0] > PROTOCOL.tissue.initial_temperature_c + 1.0


def test_sequential_pairs_report_confluence_on_the_total_dose() -> None:
    run = simulate_pair(
        PROTOCOL, 3e-3, mode="sequential", cell_m=0.6e-3, fine_margin_m=2e-3, margin_m=6e-3
    )
    assert len(run.results) == 2
    assert run.confluence.confluent
    assert run.result is run.results[-1]


def test_scenes_on_different_grids_are_refused() -> None:
    first, _ = _scenes(6e-3, 0.8e-3)
    _, other = _scenes(8e-3, 0.8e-3)
    with pytest.raises(ValueError, match="scene 2's grid differs from scene 1's: use one grid"):
        simulate_sequential(PROTOCOL, (first, other))

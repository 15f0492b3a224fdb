"""An internally cooled tip: the coolant as an implicit sink in the active metal.

References: the degenerate case (no flow: the uncooled run, to round-off), the energy
balance of one implicit step with the sink (every watt accounted for), the sign of
the sink (a cold coolant cools the metal; a flipped sign would heat it), hand-computed
Reynolds / Nusselt / h values, and the published qualitative result that a cooled
tip at 60 C makes a larger, rounder lesion than a plain tip at 60 C (Cosman 2014;
Avanos' chicken-breast comparison, RAPM 2024 49 Suppl 1 A173: cooled "more spherical").
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from rhizo.cli import main
from rhizo.physics.electrode import Electrode
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.cooling3d import COOLED_17G, InternalCooling
from rhizo.physics.three_d.engine3d import simulate3d
from rhizo.physics.three_d.fv3d import Geometry3D
from rhizo.physics.three_d.geometry3d import CannulaPose, Scene, grid_around_cannula
from rhizo.physics.three_d.heat3d import HeatStepper3D

# 16 G (17 G, the Coolief gauge, is not in the electrode catalogue), 4 mm tip, 60 C.
PROTOCOL = LesionProtocol(gauge=16, tip_length_mm=4, set_temperature_c=60, duration_s=60)


def _scene() -> Scene:
    pose = CannulaPose(PROTOCOL.electrode)
    grid = grid_around_cannula(
        pose, cell_m=0.5e-3, fine_margin_m=4e-3, half_width_m=10e-3, growth=1.2
    )
    return Scene.build(grid, pose, PROTOCOL.tissue)


@pytest.fixture(scope="module")
def runs() -> dict[str, object]:
    scene = _scene()
    return {
        "plain": simulate3d(PROTOCOL, scene),
        "no_flow": simulate3d(
            PROTOCOL,
            scene,
            cooling=InternalCooling(
                coolant_temperature_c=PROTOCOL.tissue.initial_temperature_c, flow_ml_per_min=0.0
            ),
        ),
        "cooled": simulate3d(PROTOCOL, scene, cooling=COOLED_17G),
    }


def test_no_flow_is_the_uncooled_run(runs: dict) -> None:  # type: ignore[type-arg]
    plain, no_flow = runs["plain"], runs["no_flow"]
    # The same run to round-off (a zero sink adds 0 to the matrix's diagonal).
    assert no_flow.lesion.width_mm == pytest.approx(plain.lesion.width_mm, rel=1e-9)
    assert no_flow.lesion.length_mm == pytest.approx(plain.lesion.length_mm, rel=1e-9)
    np.testing.assert_allclose(no_flow.traces["power_w"], plain.traces["power_w"], rtol=1e-9)
    np.testing.assert_allclose(no_flow.temperature_c, plain.temperature_c, rtol=0, atol=1e-9)


def test_cooled_tip_at_60c_makes_a_larger_rounder_lesion(runs: dict) -> None:  # type: ignore[type-arg]
    plain, cooled = runs["plain"], runs["cooled"]
    # Both hold the thermocouple at 60 C.
    assert plain.traces["tip_temperature_c"][-1] == pytest.approx(60.0, abs=1e-6)
    assert cooled.traces["tip_temperature_c"][-1] == pytest.approx(60.0, abs=1e-6)
    # Measured (0.5 mm cells, 20 mm cube): width 4.69 -> 8.89 mm, length 5.51 -> 8.78 mm,
    # power 2.5 -> 9.6 W, hottest tissue 69 -> 104 C.
    assert cooled.lesion.width_mm > 1.5 * plain.lesion.width_mm
    assert cooled.traces["power_w"][-1] > 2.0 * plain.traces["power_w"][-1]
    roundness_plain = plain.lesion.width_mm / plain.lesion.length_mm
    roundness_cooled = cooled.lesion.width_mm / cooled.lesion.length_mm
    assert roundness_cooled > roundness_plain
    assert roundness_cooled == pytest.approx(1.0, abs=0.1)
    # The hottest tissue sits away from the cooled metal, above the tip's 60 C.
    assert cooled.diagnostics["peak_tissue_temperature_c"] > 80.0


def _stepper(coolant_c: float) -> tuple[Geometry3D, HeatStepper3D]:
    scene = _scene()
    geometry = Geometry3D.build(scene.grid, scene.pose)
    shape = scene.grid.shape
    metal = geometry.metal
    tissue = PROTOCOL.tissue
    steel = PROTOCOL.electrode.metal
    heat = HeatStepper3D(
        geometry,
        conductivity_w_per_m_k=np.where(
            metal, steel.thermal_conductivity_w_per_m_k, tissue.thermal_conductivity_w_per_m_k
        ),
        volumetric_heat_capacity_j_per_m3_k=np.where(
            metal,
            steel.density_kg_per_m3 * steel.specific_heat_j_per_kg_k,
            tissue.volumetric_heat_capacity_j_per_m3_k,
        ),
        perfusion_w_per_m3_k=np.full(shape, 2.0e4) * ~metal,
        far_temperature_c=37.0,
        arterial_temperature_c=37.0,
        insulation_resistance_m2k_per_w=PROTOCOL.electrode.insulation_thermal_resistance_m2k_per_w,
        sink_w_per_k=COOLED_17G.sink_w_per_k(geometry, PROTOCOL.electrode.tip_length_m),
        coolant_temperature_c=coolant_c,
    )
    return geometry, heat


def test_energy_balance_of_a_step_with_the_coolant_sink() -> None:
    geometry, heat = _stepper(coolant_c=22.0)
    shape = geometry.grid.shape
    dt = 2.0
    start = np.full(shape, 37.0)
    # 5 W of heat in the tissue cells next to the metal.
    near = ~geometry.metal & (np.abs(geometry.grid.mesh_m[0]) < 1.5e-3)
    near &= np.abs(geometry.grid.mesh_m[1]) < 1.5e-3
    source = np.where(near, 5.0 / near.sum(), 0.0)
    rhs = heat.heat_capacity_j_per_k / dt * start + heat.fixed_w + source
    new = heat.solver(dt).solve(rhs.ravel(), start.ravel()).reshape(shape)
    stored_w = float(np.sum(heat.heat_capacity_j_per_k * (new - start))) / dt
    far_w = float(np.sum(heat.far_w_per_k * (new - 37.0)))
    perfusion_w = float(np.sum(heat.perfusion_w_per_k * (new - 37.0)))
    coolant_w = heat.sink_power_w(new)
    # Conduction between cells sums to zero: source = stored + far + perfusion + coolant.
    assert stored_w + far_w + perfusion_w + coolant_w == pytest.approx(5.0, rel=1e-8)
    # The coolant's share is not negligible (so a wrong sink would show): measured 0.5 W.
    assert coolant_w > 0.1
    assert coolant_w == pytest.approx(float(np.sum(heat.sink_w_per_k * (new - 22.0))), rel=1e-12)


def test_a_cold_coolant_cools_the_metal() -> None:
    # No source: tissue at 37 C, coolant at 22 C. After a long step the tip's metal is
    # between the two; with the sink's sign flipped it would rise above 37 C.
    geometry, heat = _stepper(coolant_c=22.0)
    shape = geometry.grid.shape
    start = np.full(shape, 37.0)
    dt = 1e4
    rhs = heat.heat_capacity_j_per_k / dt * start + heat.fixed_w
    steady = heat.solver(dt).solve(rhs.ravel(), start.ravel()).reshape(shape)
    active = np.asarray(geometry.active)
    assert np.all(steady[active] < 37.0 - 1.0)
    assert np.all(steady[active] > 22.0)
    assert np.all(steady <= 37.0 + 1e-9)


def test_reynolds_nusselt_and_h_by_hand() -> None:
    # 20 mL/min water in 0.8 mm: m_dot = 20e-6/60 * 997 = 3.3233e-4 kg/s,
    # Re = 4 m_dot / (pi D mu) = 594.3 (laminar), h = 4.36 * 0.607 / 0.8e-3 = 3308.2.
    assert COOLED_17G.reynolds == pytest.approx(594.3, rel=1e-4)
    assert COOLED_17G.heat_transfer_coefficient_w_per_m2_k == pytest.approx(3308.15, rel=1e-5)
    # h A for a 4 mm tip: 3308.15 * pi * 0.8e-3 * 4e-3 = 0.033257 W/K.
    assert COOLED_17G.wall_conductance_w_per_k(4e-3) == pytest.approx(0.033257, rel=1e-4)
    # 2 L/min in 1 mm: Re = 47,543, turbulent; Nu = 0.023 * 47543^0.8 * 6.1^0.4 = 261.5
    # (5516 * 2.0614 * 0.023), h = 261.5 * 0.607 / 1e-3 = 158,750.
    fast = InternalCooling(flow_ml_per_min=2000.0, lumen_diameter_m=1e-3)
    assert fast.reynolds == pytest.approx(47543, rel=1e-4)
    assert fast.nusselt == pytest.approx(261.5, rel=2e-3)
    assert fast.heat_transfer_coefficient_w_per_m2_k == pytest.approx(158750, rel=2e-3)
    assert InternalCooling(flow_ml_per_min=0.0).heat_transfer_coefficient_w_per_m2_k == 0.0
    assert math.isfinite(fast.wall_conductance_w_per_k(5.5e-3))


def test_the_sink_lies_in_the_active_metal_and_sums_to_h_a() -> None:
    scene = _scene()
    geometry = Geometry3D.build(scene.grid, scene.pose)
    sink = COOLED_17G.sink_w_per_k(geometry, 4e-3)
    assert float(sink.sum()) == pytest.approx(COOLED_17G.wall_conductance_w_per_k(4e-3))
    assert np.all(sink[~np.asarray(geometry.active)] == 0.0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("coolant_temperature_c", 50.0, "coolant_temperature_c=50 must be 0-45 C"),
        ("flow_ml_per_min", -1.0, "flow_ml_per_min=-1 must be >= 0"),
        ("lumen_diameter_m", 5e-3, "lumen_diameter_m=0.005 must be 0.05-3 mm"),
        ("flow_ml_per_min", math.nan, "flow_ml_per_min=nan must be finite"),
    ],
)
def test_bad_cooling_input_names_the_field(field: str, value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        InternalCooling(**{field: value})


def test_a_negative_sink_is_refused() -> None:
    scene = _scene()
    geometry = Geometry3D.build(scene.grid, scene.pose)
    ones = np.ones(scene.grid.shape)
    with pytest.raises(ValueError, match="sink_w_per_k must be finite and >= 0"):
        HeatStepper3D(
            geometry,
            conductivity_w_per_m_k=ones,
            volumetric_heat_capacity_j_per_m3_k=ones,
            perfusion_w_per_m3_k=0 * ones,
            far_temperature_c=37.0,
            arterial_temperature_c=37.0,
            insulation_resistance_m2k_per_w=0.0,
            sink_w_per_k=-ones,
        )
    assert Electrode(gauge=16, tip_length_mm=4).tip_length_m == pytest.approx(4e-3)


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--coolant-c", "50"], "error: --coolant-c: 50.0 is not allowed; allowed: 0 to 45"),
        (
            ["--coolant-c", "20", "--coolant-ml-min", "-1"],
            "error: --coolant-ml-min: -1.0 is not allowed; allowed: 0 to 200",
        ),
        (
            ["--coolant-c", "20", "--mode", "bipolar"],
            "error: --coolant-c: 20.0 is not allowed; allowed with --mode monopolar only",
        ),
    ],
)
def test_cli_bad_coolant_is_one_line_and_exit_2(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lesion3d", *argv]) == 2
    error = capsys.readouterr().err
    assert error.startswith(line)
    assert error.count("\n") == 1


def test_cli_cooled_run_holds_60c_and_draws_more_power(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["lesion3d", "--gauge", "16", "--tip-mm", "4", "--temp-c", "60", "--time-s", "10"]
    base += ["--cell-mm", "0.8", "--half-width-mm", "10", "--json"]
    assert main(base) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main([*base, "--coolant-c", "22"]) == 0
    cooled = json.loads(capsys.readouterr().out)
    assert cooled["coolant"] == {"temperature_c": 22.0, "flow_ml_per_min": 20.0}
    assert cooled["final"]["tip_temperature_c"] == pytest.approx(60.0, abs=1e-6)
    assert cooled["final"]["power_w"] > 1.5 * plain["final"]["power_w"]

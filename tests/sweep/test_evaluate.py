"""One chunk -> its columns: the protocols a row means, the outputs, the capture probability."""

from __future__ import annotations

import numpy as np
import pytest

from rhizo.physics import simulate
from rhizo.physics.backend import cupy_available
from rhizo.physics.tissue import get_tissue
from rhizo.planning.anatomy import get_joint
from rhizo.planning.lesions import lesion_for
from rhizo.planning.montecarlo import estimate_capture
from rhizo.planning.placement import CannulaPlacement, PlacementError
from rhizo.planning.recommend import joint_capture
from rhizo.sweep.evaluate import (
    column_names,
    effective_set_temperature_c,
    evaluate_chunk,
    protocol_for,
    resolve_backend,
)
from rhizo.sweep.spec import parse_spec

PROGRAM_SPEC = {
    "name": "evaluate-program",
    "fixed": {"ramp_s": 4.0, "gauge": 20, "duration_s": 20.0},
    "inputs": {
        "set_temperature_c": {"dist": "uniform", "low": 60.0, "high": 85.0},
        "tissue.perfusion_rate_per_s": {"dist": "uniform", "low": 0.0003, "high": 0.001},
        "thermocouple_bias_c": {"dist": "uniform", "low": -2.0, "high": 2.0},
    },
    "outputs": ["width_mm", "isotherm_45c.length_mm", "max_power_w"],
    "samples": 3,
    "seed": 3,
}

CAPTURE_SPEC = {
    "name": "evaluate-capture",
    "fixed": {"ramp_s": 4.0, "duration_s": 40.0},
    "inputs": {
        "set_temperature_c": {"dist": "uniform", "low": 70.0, "high": 90.0},
        "placement.offset_mm": {"dist": "uniform", "low": 0.5, "high": 2.5},
    },
    "outputs": ["width_mm", "capture_probability"],
    "capture": {
        "joint": "L4-L5",
        "placement": {"angle_deg": 10.0},
        "errors": {"lateral_sd_mm": 0.8},
        "samples": 400,
        "seed": 11,
    },
    "samples": 2,
}


def test_a_row_sets_protocol_tissue_and_thermocouple() -> None:
    spec = parse_spec(PROGRAM_SPEC)
    protocol, placement = protocol_for(spec, np.array([80.0, 0.0009, 1.5]))
    assert placement is None
    assert protocol.gauge == 20
    assert protocol.ramp_s == 4.0
    # the sensor reads 1.5 C high: the true tip is held at 78.5 C
    assert protocol.set_temperature_c == 78.5
    base = get_tissue("muscle-in-vivo")
    assert protocol.tissue.name == base.name
    assert protocol.tissue.perfusion_rate_per_s == 0.0009
    assert protocol.tissue.thermal_conductivity_w_per_m_k == base.thermal_conductivity_w_per_m_k
    assert protocol.damage == base.damage  # the damage model follows the tissue
    assert column_names(spec) == [
        "sample",
        "set_temperature_c",
        "tissue.perfusion_rate_per_s",
        "thermocouple_bias_c",
        "width_mm",
        "isotherm_45c.length_mm",
        "max_power_w",
        "warnings",
    ]


def test_an_effective_set_temperature_outside_the_bounds_names_both() -> None:
    assert effective_set_temperature_c(80.0, -2.0) == 82.0
    assert effective_set_temperature_c(94.0, 3.0) == 91.0
    with pytest.raises(
        ValueError,
        match=r"^thermocouple_bias_c -4 with set_temperature_c 94: effective set temperature "
        r"98 C is outside 37-95 C$",
    ):
        effective_set_temperature_c(94.0, -4.0)


def test_a_chunk_equals_its_lesions_one_by_one() -> None:
    spec = parse_spec(PROGRAM_SPEC)
    values = np.array([[62.0, 0.0004, -1.0], [84.0, 0.0009, 1.0], [75.0, 0.0004, 0.0]])
    columns = evaluate_chunk(spec.model_dump_json(), 40, values)
    assert list(columns) == column_names(spec)
    assert columns["sample"].dtype == np.int64
    np.testing.assert_array_equal(columns["sample"], [40, 41, 42])
    np.testing.assert_array_equal(columns["thermocouple_bias_c"], values[:, 2])
    for i, row in enumerate(values):
        single = simulate(protocol_for(spec, row)[0])
        assert columns["width_mm"][i] == pytest.approx(single.lesion.width_mm, rel=1e-9)
        assert columns["isotherm_45c.length_mm"][i] == pytest.approx(
            single.boundaries["isotherm_45c"].length_mm, rel=1e-9
        )
        assert columns["max_power_w"][i] == pytest.approx(single.max_power_w, rel=1e-9)
        assert columns["warnings"][i] == "; ".join(single.warnings)
    # a hotter set point at lower perfusion makes a wider lesion (sanity of the mapping)
    assert columns["width_mm"][1] > columns["width_mm"][0]


def test_capture_probability_is_the_planners_joint_capture() -> None:
    spec = parse_spec(CAPTURE_SPEC)
    values = np.array([[75.0, 0.8], [88.0, 2.0]])
    columns = evaluate_chunk(spec.model_dump_json(), 0, values)
    joint = get_joint("L4-L5")
    for i, row in enumerate(values):
        protocol, placement = protocol_for(spec, row)
        assert placement == CannulaPlacement(angle_deg=10.0, offset_mm=float(row[1]))
        # the second path: the single engine through the planner's cache, each nerve's
        # own draw (no pose set), the ranking's joint rule
        profile = lesion_for(protocol, simulator=simulate)
        estimates = [
            estimate_capture(
                profile,
                nerve,
                placement,
                errors=PlacementError(lateral_sd_mm=0.8),
                samples=400,
                seed=11,
            )
            for nerve in joint.nerves
        ]
        probability, _ = joint_capture(estimates)
        assert columns["capture_probability"][i] == pytest.approx(probability, abs=1e-12)
    # not a trivial 0 or 1: the comparison above could not pass by saturation
    assert 0.0 < columns["capture_probability"].min() < 1.0


@pytest.mark.skipif(cupy_available(), reason="a CUDA device is visible here")
def test_auto_backend_falls_back_to_numpy_without_a_gpu() -> None:
    assert resolve_backend("auto") == "numpy"
    assert resolve_backend("numpy") == "numpy"

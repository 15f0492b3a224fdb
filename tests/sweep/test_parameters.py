"""The sweepable parameters: bounds read from their models, names, did-you-mean."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from rhizo.physics.electrode import GAUGE_OUTER_DIAMETER_MM
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.tissue import Tissue, get_tissue
from rhizo.planning.placement import CannulaPlacement
from rhizo.sweep.parameters import PARAMETERS, TISSUE_BOUNDS, Parameter, get_parameter


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        # LesionProtocol: tip_length_mm ge 2 le 20, set_temperature_c 37-95, duration 1-600,
        # ramp 0-120 (src/rhizo/physics/protocol.py, read by hand).
        ("tip_length_mm", 2.0, 20.0),
        ("set_temperature_c", 37.0, 95.0),
        ("duration_s", 1.0, 600.0),
        ("ramp_s", 0.0, 120.0),
        ("placement.offset_mm", 0.0, 20.0),
        ("placement.angle_deg", 0.0, 90.0),
        ("placement.along_nerve_mm", -20.0, 20.0),
        ("placement.height_mm", -20.0, 20.0),
        ("tissue.conductivity_temperature_coefficient_per_k", 0.0, 0.05),
        ("tissue.initial_temperature_c", 0.0, 45.0),
        ("thermocouple_bias_c", -5.0, 5.0),
    ],
)
def test_bounds_are_the_models_bounds(name: str, low: float, high: float) -> None:
    parameter = get_parameter(name)
    assert (parameter.low, parameter.high) == (low, high)
    assert parameter.admits(low)
    assert parameter.admits(high)
    assert not parameter.admits(low - 1e-9)
    assert not parameter.admits(high + 1e-9)


@pytest.mark.parametrize("name", [n for n, p in PARAMETERS.items() if p.target == "protocol"])
def test_protocol_bounds_agree_with_the_protocol_validator(name: str) -> None:
    """The model itself accepts the parameter's bounds and refuses just outside them."""
    parameter = get_parameter(name)
    field = parameter.field
    if parameter.kind == "choice":
        for choice in parameter.choices:
            LesionProtocol(**{field: int(choice)})
        with pytest.raises(ValidationError):
            LesionProtocol(**{field: 17})
        return
    inside = parameter.low + (1.0 if parameter.low_open else 0.0)
    LesionProtocol(**{field: inside})
    with pytest.raises(ValidationError):
        LesionProtocol(**{field: parameter.low - (0.0 if parameter.low_open else 1e-6)})
    if math.isfinite(parameter.high):
        LesionProtocol(**{field: parameter.high})
        with pytest.raises(ValidationError):
            LesionProtocol(**{field: parameter.high + 1e-6})


def test_placement_bounds_agree_with_cannula_placement() -> None:
    for name, parameter in PARAMETERS.items():
        if parameter.target != "placement":
            continue
        CannulaPlacement(**{parameter.field: parameter.low})
        CannulaPlacement(**{parameter.field: parameter.high})
        with pytest.raises(ValidationError):
            CannulaPlacement(**{parameter.field: parameter.high + 1e-6})
        assert name == f"placement.{parameter.field}"


def test_gauge_is_a_choice_of_the_catalogue() -> None:
    gauge = get_parameter("gauge")
    assert gauge.kind == "choice"
    assert gauge.choices == tuple(float(g) for g in sorted(GAUGE_OUTER_DIAMETER_MM))
    assert gauge.admits(18.0)
    assert not gauge.admits(19.0)


def test_open_bounds() -> None:
    power = get_parameter("max_power_w")  # Field(gt=0): strictly positive, no upper bound
    assert power.low == 0.0
    assert power.low_open
    assert math.isinf(power.high)
    assert not power.admits(0.0)
    assert power.admits(1e-3)
    assert power.admits(500.0)
    assert not power.admits(math.nan)
    assert not power.admits(math.inf)


def test_tissue_bounds_hold_the_catalogue_and_are_valid_tissues() -> None:
    """Every catalogue tissue lies inside the stated envelopes; their ends build a Tissue."""
    base = get_tissue("muscle-in-vivo")
    for name in ("muscle-in-vivo", "fat-in-vivo", "muscle-ex-vivo"):
        tissue = get_tissue(name)
        for field in TISSUE_BOUNDS:
            assert get_parameter(f"tissue.{field}").admits(getattr(tissue, field)), (name, field)
    for field, (low, high) in TISSUE_BOUNDS.items():
        for value in (low, high):
            Tissue.model_validate({**base.model_dump(), field: value})


def test_unknown_name_lists_allowed_and_guesses() -> None:
    with pytest.raises(KeyError) as caught:
        get_parameter("tissue.perfusion")
    message = caught.value.args[0]
    assert "unknown parameter 'tissue.perfusion'" in message
    assert "did you mean 'tissue.perfusion_rate_per_s'?" in message
    assert "allowed: gauge, tip_length_mm" in message
    with pytest.raises(KeyError, match="allowed:") as nothing_close:
        get_parameter("zzzzzz")
    assert "did you mean" not in nothing_close.value.args[0]


def test_names_and_targets() -> None:
    for name, parameter in PARAMETERS.items():
        assert parameter.name == name
        if parameter.target == "tissue":
            assert name == f"tissue.{parameter.field}"
            assert parameter.field in Tissue.model_fields
        elif parameter.target == "protocol":
            assert name == parameter.field
            assert name in LesionProtocol.model_fields
        assert parameter.unit
        assert parameter.description


def test_integer_kind_and_the_array_form() -> None:
    count = Parameter("n", "", 1.0, 4.0, "integer", "placement", "lesion_count", "lesions")
    values = np.array([1.0, 2.5, 4.0, 5.0, np.nan, 0.0])
    np.testing.assert_array_equal(count.admitted(values), [True, False, True, False, False, False])
    assert count.allowed() == "whole numbers in [1, 4]"
    gauge = get_parameter("gauge")
    np.testing.assert_array_equal(gauge.admitted(np.array([16.0, 17.0, 22.0])), [True, False, True])

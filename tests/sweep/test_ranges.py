"""rhizo.sweep.ranges: every published range names a real parameter, sits inside its
allowed bounds, contains the catalogue's nominal value and says where it comes from."""

from __future__ import annotations

import importlib.util
import math
import re
from typing import get_args

import pytest
from annotated_types import Ge, Gt, Le, Lt

from rhizo.pathway.facts import Evidence
from rhizo.physics.tissue import CLINICAL_TISSUE, Tissue, get_tissue
from rhizo.sweep.ranges import (
    MUSCLE_REST_PERFUSION_ML_PER_MIN_KG,
    PUBLISHED_RANGES,
    SourcedRange,
    get_range,
)

#: Keys whose range does NOT contain the catalogue's nominal value (each note says why).
NOMINAL_EXCEPTIONS: tuple[str, ...] = ()

#: The keys the example spec and docs rely on (helper C's examples/sweep_tissue.yaml).
REQUIRED_KEYS = (
    "muscle.electrical_conductivity",
    "muscle.conductivity_temperature_coefficient",
    "muscle.thermal_conductivity",
    "muscle.density",
    "muscle.specific_heat",
    "muscle.perfusion",
    "thermocouple.bias",
)

#: The design's thermocouple parameter: the sensor reads b C above the true metal, b in [-5, 5].
THERMOCOUPLE_PARAMETER = "thermocouple_bias_c"
THERMOCOUPLE_BOUNDS_C = (-5.0, 5.0)

HAVE_PARAMETERS = importlib.util.find_spec("rhizo.sweep.parameters") is not None
ENTRIES = sorted(PUBLISHED_RANGES.values(), key=lambda entry: entry.key)
IDS = [entry.key for entry in ENTRIES]


def _tissue_field(parameter: str) -> str:
    assert parameter.startswith("tissue."), parameter
    return parameter.removeprefix("tissue.")


def _field_bounds(field: str) -> tuple[float, float, bool, bool]:
    """(low, high, low_inclusive, high_inclusive) from the Tissue field's constraints."""
    low, high, low_inclusive, high_inclusive = -math.inf, math.inf, True, True
    for constraint in Tissue.model_fields[field].metadata:
        if isinstance(constraint, Gt):
            low, low_inclusive = float(constraint.gt), False  # type: ignore[arg-type]
        elif isinstance(constraint, Ge):
            low = float(constraint.ge)  # type: ignore[arg-type]
        elif isinstance(constraint, Lt):
            high, high_inclusive = float(constraint.lt), False  # type: ignore[arg-type]
        elif isinstance(constraint, Le):
            high = float(constraint.le)  # type: ignore[arg-type]
    return low, high, low_inclusive, high_inclusive


def _nominal(entry: SourcedRange) -> float:
    if entry.parameter == THERMOCOUPLE_PARAMETER:
        return 0.0  # the catalogue assumes a perfect sensor
    value = getattr(get_tissue(CLINICAL_TISSUE), _tissue_field(entry.parameter))
    assert isinstance(value, float)
    return value


def test_the_keys_the_example_needs_are_there() -> None:
    assert set(REQUIRED_KEYS) <= set(PUBLISHED_RANGES)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_each_entry_is_filed_under_its_own_key(entry: SourcedRange) -> None:
    assert PUBLISHED_RANGES[entry.key] is entry
    assert get_range(entry.key) is entry


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_parameter_exists(entry: SourcedRange) -> None:
    if HAVE_PARAMETERS:
        from rhizo.sweep.parameters import PARAMETERS

        assert entry.parameter in PARAMETERS, entry.parameter
        assert PARAMETERS[entry.parameter].unit == entry.unit
    elif entry.parameter == THERMOCOUPLE_PARAMETER:
        assert entry.unit == "C"
    else:
        assert _tissue_field(entry.parameter) in Tissue.model_fields


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_range_is_ordered_finite_and_allowed(entry: SourcedRange) -> None:
    assert math.isfinite(entry.low)
    assert math.isfinite(entry.high)
    assert entry.low < entry.high
    if HAVE_PARAMETERS:
        from rhizo.sweep.parameters import PARAMETERS

        parameter = PARAMETERS[entry.parameter]
        assert parameter.low <= entry.low
        assert entry.high <= parameter.high
    elif entry.parameter == THERMOCOUPLE_PARAMETER:
        low, high = THERMOCOUPLE_BOUNDS_C
        assert low <= entry.low
        assert entry.high <= high
    else:
        low, high, low_inclusive, high_inclusive = _field_bounds(_tissue_field(entry.parameter))
        assert entry.low > low if not low_inclusive else entry.low >= low
        assert entry.high < high if not high_inclusive else entry.high <= high
        # and the Tissue model itself accepts both ends
        base = get_tissue(CLINICAL_TISSUE).model_dump()
        for value in (entry.low, entry.high):
            Tissue.model_validate({**base, _tissue_field(entry.parameter): value})


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_range_contains_the_catalogue_nominal(entry: SourcedRange) -> None:
    if entry.key in NOMINAL_EXCEPTIONS:
        assert "nominal" in entry.note
        pytest.skip(f"{entry.key}: listed exception")
    assert entry.low <= _nominal(entry) <= entry.high


def test_the_exceptions_are_real_keys() -> None:
    assert set(NOMINAL_EXCEPTIONS) <= set(PUBLISHED_RANGES)


def test_perfusion_converted_from_ml_per_min_kg_by_hand() -> None:
    # w_b = rate * 1e-6 m^3/mL * 1090 kg/m^3 / 60 s/min, computed here, not by the library:
    # 30 mL/(min kg) -> 30 * 1090 / 6e7 = 5.45e-4 1/s; 40 -> 7.2667e-4 1/s.
    entry = PUBLISHED_RANGES["muscle.perfusion"]
    assert MUSCLE_REST_PERFUSION_ML_PER_MIN_KG == (30.0, 40.0)
    assert entry.low == pytest.approx(5.45e-4, rel=1e-12)
    assert entry.high == pytest.approx(7.266666666666667e-4, rel=1e-12)
    # the catalogue's IT'IS 36.74 mL/(min kg) at the same density lies inside
    assert entry.low < 36.7382931 * 1090 / 6e7 < entry.high


def test_thermocouple_tolerances_are_the_type_t_classes() -> None:
    # IEC 60584 type T: class 1 +/-0.5 C, class 2 +/-1.0 C (two tables read)
    assert (
        PUBLISHED_RANGES["thermocouple.bias"].low,
        PUBLISHED_RANGES["thermocouple.bias"].high,
    ) == (
        -1.0,
        1.0,
    )
    class1 = PUBLISHED_RANGES["thermocouple.bias_class1"]
    assert (class1.low, class1.high) == (-0.5, 0.5)


def test_conductivity_spans_gabriel_400_khz_to_1_mhz() -> None:
    entry = PUBLISHED_RANGES["muscle.electrical_conductivity"]
    assert (entry.low, entry.high) == (0.428, 0.503)
    assert "0.428" in entry.source
    assert "0.503" in entry.source


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_source_names_a_year_and_evidence_is_a_level(entry: SourcedRange) -> None:
    assert len(entry.source) >= 20
    assert re.search(r"\b(19|20)\d\d\b", entry.source), entry.source
    assert entry.evidence in get_args(Evidence)
    assert len(entry.note) >= 40
    assert entry.unit


@pytest.mark.parametrize(
    "entry", [e for e in ENTRIES if e.evidence == "recalled"], ids=lambda e: e.key
)
def test_a_recalled_range_says_what_was_not_read(entry: SourcedRange) -> None:
    text = f"{entry.source} {entry.note}"
    assert "recalled" in text
    assert "not read" in text


def test_unknown_key_names_the_allowed_ones() -> None:
    with pytest.raises(
        KeyError, match=r"unknown published range 'muscle\.perfusin'.*muscle\.perfusion"
    ):
        get_range("muscle.perfusin")

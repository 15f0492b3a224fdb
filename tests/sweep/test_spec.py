"""The sweep spec: validation with one located line per problem, round trip, digest."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from rhizo.physics.lesion import BOUNDARY_DESCRIPTIONS
from rhizo.sweep.distributions import PublishedRange
from rhizo.sweep.ranges import PUBLISHED_RANGES
from rhizo.sweep.spec import OUTPUTS, SpecError, SweepSpec, load_spec, parse_spec


def _spec(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "width-study",
        "fixed": {"tissue": "muscle-in-vivo", "gauge": 18, "tip_length_mm": 10},
        "inputs": {
            "set_temperature_c": {"dist": "uniform", "low": 70, "high": 90},
            "tissue.thermal_conductivity_w_per_m_k": {"dist": "normal", "mean": 0.49, "sd": 0.05},
        },
        "outputs": ["width_mm", "isotherm_50c.width_mm"],
        "samples": 16,
    }
    data.update(changes)
    return data


def _problem(data: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as caught:
        parse_spec(data, origin="s.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_good_spec() -> None:
    spec = parse_spec(_spec())
    assert spec.input_names() == ("set_temperature_c", "tissue.thermal_conductivity_w_per_m_k")
    assert spec.lesion_count() == 16
    assert spec.design == "monte_carlo"
    assert spec.chunk_size == 1000


def test_lesion_counts_per_design() -> None:
    assert parse_spec(_spec(design="saltelli", samples=64)).lesion_count() == 64 * (2 + 2)
    grid = _spec(
        design="grid",
        samples=None,
        inputs={
            "set_temperature_c": {"dist": "grid", "values": [70, 80, 90]},
            "duration_s": {"dist": "grid", "values": [60, 90]},
        },
    )
    assert parse_spec(grid).lesion_count() == 6


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"samples": -5}, "s.yaml: samples: -5 is not allowed; at least 1"),
        (
            {"inputs": {"tissue.perfusion_rate_per_s": {"dist": "normal", "mean": 1}}},
            "s.yaml: inputs.tissue.perfusion_rate_per_s.sd: missing; normal needs mean, sd",
        ),
        (
            {"inputs": {"set_temperature_c": {"dist": "normal", "mean": 80, "sd": -1}}},
            "s.yaml: inputs.set_temperature_c.sd: -1 is not allowed; must be > 0",
        ),
        (
            {"inputs": {"set_temperature_c": {"dist": "lognormal", "median": 80}}},
            "s.yaml: inputs.set_temperature_c.cv: missing; lognormal needs median, cv",
        ),
        (
            {"inputs": {"set_temperature_c": {"dist": "gauss"}}},
            "s.yaml: inputs.set_temperature_c.dist: 'gauss' is not allowed; allowed: normal,",
        ),
        ({"design": "saltelli", "samples": 100}, "s.yaml: samples: 100 is not allowed for"),
        ({"design": "grid"}, "design 'grid' takes only dist 'grid' inputs"),
        (
            {"outputs": ["arrhenius.width_mm"]},
            "outputs.0: 'arrhenius.width_mm' is not allowed; the Arrhenius boundary's width_mm "
            "is named 'width_mm'",
        ),
        ({"outputs": ["widht_mm"]}, "unknown output 'widht_mm' (did you mean 'width_mm'?)"),
        ({"outputs": ["width_mm", "width_mm"]}, "outputs.1: 'width_mm' is listed twice"),
        ({"outputs": ["capture_probability"]}, "capture: missing; output capture_probability"),
        ({"fixed": {"tissue": "brain"}}, "fixed.tissue: unknown tissue 'brain'; allowed:"),
        ({"fixed": {"gauge": 17}}, "fixed.gauge: 17 is not allowed; allowed: one of 16, 18"),
        ({"fixed": {"set_temperature_c": 80}}, "inputs.set_temperature_c: also in fixed"),
        ({"name": "Bad Name"}, "name: 'Bad Name' is not allowed; string should match"),
        ({"bogus": 1}, "bogus: unknown field; allowed: name, description, fixed, inputs"),
        ({"chunk_size": 0}, "chunk_size: 0 is not allowed; at least 1"),
        ({"backend": "gpu"}, "backend: 'gpu' is not allowed; allowed: 'numpy', 'cupy'"),
    ],
)
def test_one_located_line_per_problem(changes: dict[str, Any], expected: str) -> None:
    assert expected in _problem(_spec(**changes))


def test_unknown_parameter_lists_allowed_with_a_guess() -> None:
    message = _problem(_spec(inputs={"tissue.perfusion": {"dist": "uniform", "low": 0, "high": 1}}))
    assert message.startswith("s.yaml: inputs.tissue.perfusion: unknown parameter")
    assert "did you mean 'tissue.perfusion_rate_per_s'?" in message
    assert "allowed: gauge," in message


def test_saltelli_power_of_two_suggests_neighbours() -> None:
    message = _problem(_spec(design="saltelli", samples=100))
    assert "power of 2 (e.g. 64 or 128)" in message
    parse_spec(_spec(design="saltelli", samples=128))


def test_grid_inputs_need_the_grid_design_and_no_samples() -> None:
    grid = {"set_temperature_c": {"dist": "grid", "values": [70, 80]}}
    assert "dist 'grid' needs design 'grid'" in _problem(_spec(inputs=grid))
    message = _problem(_spec(inputs=grid, design="grid", samples=8))
    assert "samples: 8 is not allowed with design 'grid'" in message
    assert "samples: missing" in _problem(_spec(samples=None))


def test_capture_section() -> None:
    capture = {"joint": "L4-L5", "placement": {"offset_mm": 1.5}}
    spec = parse_spec(_spec(outputs=["width_mm", "capture_probability"], capture=capture))
    assert spec.capture is not None
    assert spec.capture.joint == "L4-L5"
    assert spec.capture.samples == 2000
    placed = _spec(inputs={"placement.offset_mm": {"dist": "uniform", "low": 0, "high": 3}})
    assert "capture: missing; placement.offset_mm needs a capture section" in _problem(placed)
    bad = {"joint": "L4-L5", "placement": {"offset_mm": 30}}
    assert "capture.placement.offset_mm: 30 is not allowed; at most 20" in _problem(
        _spec(outputs=["capture_probability"], capture=bad)
    )
    unknown = {"joint": "L9-L9"}
    assert "capture.joint: 'L9-L9' is not allowed; unknown joint" in _problem(
        _spec(outputs=["capture_probability"], capture=unknown)
    )
    errors = {"joint": "L4-L5", "errors": {"lateral_sd_mm": -1}}
    assert "capture.errors.lateral_sd_mm: -1 is not allowed; at least 0" in _problem(
        _spec(outputs=["capture_probability"], capture=errors)
    )
    both = _spec(
        outputs=["capture_probability"],
        capture={"joint": "L4-L5", "placement": {"offset_mm": 1.0}},
        inputs={"placement.offset_mm": {"dist": "uniform", "low": 0, "high": 3}},
    )
    assert "capture.placement.offset_mm: also given as placement.offset_mm" in _problem(both)


def test_published_range_by_key_or_values() -> None:
    key = next(iter(PUBLISHED_RANGES))
    entry = PUBLISHED_RANGES[key]
    by_key = PublishedRange(key=key)
    assert by_key.bounds() == (entry.low, entry.high)
    assert by_key.describe().endswith(f"from {entry.source} [{entry.evidence}]")
    given = {"low": 1.0, "high": 2.0, "source": "Author 2020, Title, Table 1"}
    data = {"dist": "published_range", **given, "evidence": "secondary", "key": key}
    message = _problem(_spec(inputs={"set_temperature_c": data}))
    assert f"key '{key}' supplies low, high, source and evidence; remove low, high" in message
    missing = {"dist": "published_range", "low": 70, "high": 90}
    assert "missing source, evidence" in _problem(_spec(inputs={"set_temperature_c": missing}))
    unknown = {"dist": "published_range", "key": "no.such"}
    assert "inputs.set_temperature_c.key: unknown range 'no.such'; allowed:" in _problem(
        _spec(inputs={"set_temperature_c": unknown})
    )
    short = {"dist": "published_range", "low": 70, "high": 90, "source": "x", "evidence": "primary"}
    assert "inputs.set_temperature_c.source: 'x' is not allowed" in _problem(
        _spec(inputs={"set_temperature_c": short})
    )


def test_outputs_cover_every_boundary_once() -> None:
    for boundary in BOUNDARY_DESCRIPTIONS:
        if boundary == "arrhenius":
            assert "arrhenius.width_mm" not in OUTPUTS
        else:
            assert f"{boundary}.width_mm" in OUTPUTS
    assert {"width_mm", "volume_mm3", "peak_tissue_temperature_c", "capture_probability"} <= set(
        OUTPUTS
    )
    assert len(OUTPUTS) == 5 * len(BOUNDARY_DESCRIPTIONS) + 5


def test_canonical_json_round_trips_and_digest_is_its_sha256() -> None:
    spec = parse_spec(
        _spec(inputs={**_spec()["inputs"], "ramp_s": {"dist": "uniform", "low": 0, "high": 20}})
    )
    text = spec.canonical_json()
    again = parse_spec(json.loads(text))
    assert again == spec
    assert again.canonical_json() == text
    order = json.dumps({"input_order": list(spec.inputs), "ranges": {}}, sort_keys=True)
    assert spec.digest() == hashlib.sha256((text + order).encode()).hexdigest()
    swapped = parse_spec(_spec(inputs=dict(reversed(list(_spec()["inputs"].items())))))
    assert swapped.canonical_json() == parse_spec(_spec()).canonical_json()  # keys sorted
    assert swapped.digest() != parse_spec(_spec()).digest()  # but other columns, other rows
    assert json.loads(text) == json.loads(json.dumps(json.loads(text), sort_keys=True))
    key = next(iter(PUBLISHED_RANGES))
    parameter = PUBLISHED_RANGES[key].parameter
    keyed = parse_spec(_spec(inputs={parameter: {"dist": "published_range", "key": key}}))
    assert parse_spec(json.loads(keyed.canonical_json())) == keyed
    other = parse_spec(_spec(seed=1))
    assert other.digest() != parse_spec(_spec()).digest()


def test_digest_follows_the_numbers_a_range_key_stands_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = next(iter(PUBLISHED_RANGES))
    entry = PUBLISHED_RANGES[key]
    keyed = parse_spec(_spec(inputs={entry.parameter: {"dist": "published_range", "key": key}}))
    before = keyed.digest()
    revised = dataclasses.replace(entry, high=entry.high + 0.5 * (entry.high - entry.low))
    monkeypatch.setitem(PUBLISHED_RANGES, key, revised)
    assert keyed.canonical_json() == parse_spec(json.loads(keyed.canonical_json())).canonical_json()
    assert keyed.digest() != before  # the same text, other numbers: another sweep


def test_load_spec_yaml_json_and_file_errors(tmp_path: Path) -> None:
    yaml_file = tmp_path / "s.yaml"
    yaml_file.write_text(
        "name: width-study\n"
        "inputs:\n"
        "  set_temperature_c: {dist: uniform, low: 70, high: 90}\n"
        "outputs: [width_mm]\n"
        "samples: 8\n"
    )
    spec = load_spec(yaml_file)
    json_file = tmp_path / "s.json"
    json_file.write_text(json.dumps(spec.model_dump(mode="json")))
    assert load_spec(json_file) == spec
    with pytest.raises(SpecError, match=r"missing\.yaml: cannot read the spec: No such file"):
        load_spec(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(SpecError, match=r"broken\.yaml: not valid YAML at line \d+, column \d+"):
        load_spec(broken)
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(SpecError, match="must be a mapping of settings, got list"):
        load_spec(listed)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml_file.read_text().replace("samples: 8", "samples: -5"))
    with pytest.raises(SpecError) as caught:
        load_spec(bad)
    assert str(caught.value) == f"{bad}: samples: -5 is not allowed; at least 1"


def test_spec_is_frozen() -> None:
    spec = SweepSpec.model_validate(_spec())
    with pytest.raises(ValueError, match="frozen"):
        spec.samples = 3  # type: ignore[misc]


def test_a_published_range_belongs_to_its_parameter() -> None:
    key, entry = next((k, e) for k, e in PUBLISHED_RANGES.items() if e.parameter != "ramp_s")
    wrong = {"ramp_s": {"dist": "published_range", "key": key}}
    message = _problem(_spec(inputs=wrong))
    assert f"inputs.ramp_s.key: {key!r} is a range of {entry.parameter}, not of ramp_s" in message

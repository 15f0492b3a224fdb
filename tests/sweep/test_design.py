"""Distributions' quantile functions against scipy.stats, and the sample designs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

from rhizo.sweep.design import (
    draw_samples,
    latin_hypercube_unit,
    saltelli_unit,
)
from rhizo.sweep.distributions import Choice, Grid, LogNormal, Normal, PublishedRange, Uniform
from rhizo.sweep.ranges import PUBLISHED_RANGES
from rhizo.sweep.spec import SpecError, parse_spec

U = np.array([1e-9, 0.001, 0.025, 0.2, 0.5, 0.77, 0.975, 0.999, 1 - 1e-9])
SOURCE = "Author A 2020, A title, Table 2 (test range)"


def test_normal_ppf_is_scipys() -> None:
    normal = Normal(mean=0.49, sd=0.05)
    np.testing.assert_allclose(normal.ppf(U), stats.norm(0.49, 0.05).ppf(U), rtol=1e-12)


@pytest.mark.parametrize(("low", "high"), [(0.45, None), (None, 0.5), (0.4, 0.52), (0.6, 0.9)])
def test_truncated_normal_ppf_is_scipys_truncnorm(low: float | None, high: float | None) -> None:
    mean, sd = 0.49, 0.05
    normal = Normal(mean=mean, sd=sd, low=low, high=high)
    a = -np.inf if low is None else (low - mean) / sd
    b = np.inf if high is None else (high - mean) / sd
    reference = stats.truncnorm(a, b, loc=mean, scale=sd).ppf(U)
    np.testing.assert_allclose(normal.ppf(U), reference, rtol=1e-7, atol=1e-12)
    values = normal.ppf(U)
    assert low is None or values.min() >= low
    assert high is None or values.max() <= high


def test_normal_truncation_without_mass_is_refused() -> None:
    with pytest.raises(ValueError, match="holds no probability"):
        Normal(mean=0.0, sd=1.0, low=50.0, high=60.0)


def test_lognormal_median_and_cv_of_draws() -> None:
    """median m, cv c: 10^5 draws have median ~ m, sd/mean ~ c, mean ~ m sqrt(1 + c^2)."""
    median, cv = 0.5, 0.3
    dist = LogNormal(median=median, cv=cv)
    u = np.random.default_rng(7).random(100_000)
    x = dist.ppf(u)
    assert float(dist.ppf(np.array([0.5]))[0]) == pytest.approx(median, rel=1e-12)
    assert float(np.std(x) / np.mean(x)) == pytest.approx(cv, rel=0.02)
    # mean of a log-normal: exp(mu + sigma^2/2) = m sqrt(1 + cv^2) with sigma^2 = ln(1 + cv^2)
    assert float(np.mean(x)) == pytest.approx(median * math.sqrt(1 + cv**2), rel=0.005)
    reference = stats.lognorm(s=math.sqrt(math.log(1 + cv**2)), scale=median).ppf(U)
    np.testing.assert_allclose(dist.ppf(U), reference, rtol=1e-10)


def test_uniform_and_published_uniform_ppf() -> None:
    reference = stats.uniform(loc=70, scale=20).ppf(U)
    np.testing.assert_allclose(Uniform(low=70, high=90).ppf(U), reference, rtol=1e-12)
    sourced = PublishedRange(low=70, high=90, source=SOURCE, evidence="secondary")
    np.testing.assert_allclose(sourced.ppf(U), reference, rtol=1e-12)
    assert sourced.describe() == f"uniform(70, 90) from {SOURCE} [secondary]"


@pytest.mark.parametrize("mode", [0.3, 0.45, 0.7])
def test_triangular_ppf_is_scipys_triang(mode: float) -> None:
    low, high = 0.3, 0.7
    dist = PublishedRange(
        low=low, high=high, mode=mode, shape="triangular", source=SOURCE, evidence="recalled"
    )
    reference = stats.triang((mode - low) / (high - low), loc=low, scale=high - low).ppf(U)
    np.testing.assert_allclose(dist.ppf(U), reference, rtol=1e-9, atol=1e-12)


def test_triangular_needs_its_mode_inside() -> None:
    with pytest.raises(ValueError, match="mode: missing"):
        PublishedRange(low=0, high=1, shape="triangular", source=SOURCE, evidence="recalled")
    with pytest.raises(ValueError, match=r"mode: 2 is not allowed; must be in \[0, 1\]"):
        PublishedRange(
            low=0, high=1, mode=2, shape="triangular", source=SOURCE, evidence="recalled"
        )


def test_choice_ppf_follows_the_weights() -> None:
    choice = Choice(values=[16, 18, 20], weights=[1, 2, 1])
    np.testing.assert_array_equal(
        choice.ppf(np.array([0.1, 0.2499, 0.25, 0.74, 0.75, 0.99])), [16, 16, 18, 18, 20, 20]
    )
    x = choice.ppf(np.random.default_rng(3).random(40_000))
    share = [float(np.mean(x == v)) for v in (16, 18, 20)]
    assert share == pytest.approx([0.25, 0.5, 0.25], abs=0.01)
    with pytest.raises(ValueError, match="repeats a value"):
        Choice(values=[18, 18])
    with pytest.raises(ValueError, match="one weight per value"):
        Choice(values=[16, 18], weights=[1])


def test_grid_has_no_ppf() -> None:
    with pytest.raises(ValueError, match="use design 'grid'"):
        Grid(values=[1, 2]).ppf(np.array([0.5]))


def test_ppf_refuses_u_outside_the_open_interval() -> None:
    with pytest.raises(ValueError, match=r"strictly inside \(0, 1\)"):
        Uniform(low=0, high=1).ppf(np.array([0.0, 0.5]))


def _spec(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "design-test",
        "inputs": {
            "set_temperature_c": {"dist": "uniform", "low": 40, "high": 90},
            "duration_s": {"dist": "uniform", "low": 10, "high": 110},
            "gauge": {"dist": "choice", "values": [18, 20, 22]},
        },
        "outputs": ["width_mm"],
        "samples": 50,
    }
    data.update(changes)
    return data


def test_monte_carlo_is_default_rng_through_ppf() -> None:
    spec = parse_spec(_spec(seed=11))
    table = draw_samples(spec)
    u = np.random.default_rng(11).random((50, 3))
    np.testing.assert_allclose(table.values[:, 0], 40 + 50 * u[:, 0], rtol=1e-12)
    np.testing.assert_allclose(table.values[:, 1], 10 + 100 * u[:, 1], rtol=1e-12)
    assert table.names == spec.input_names()
    assert table.design == "monte_carlo"
    assert set(np.unique(table.values[:, 2])) <= {18.0, 20.0, 22.0}


def test_latin_hypercube_holds_one_point_per_stratum() -> None:
    n = 50
    table = draw_samples(parse_spec(_spec(design="latin_hypercube", seed=5)))
    for column, (low, high) in enumerate([(40, 90), (10, 110)]):
        strata = np.floor((table.values[:, column] - low) / (high - low) * n).astype(int)
        assert sorted(strata.tolist()) == list(range(n))
    unit = latin_hypercube_unit(4, 37, seed=2)
    for column in range(4):
        assert sorted(np.floor(unit[:, column] * 37).astype(int).tolist()) == list(range(37))


def test_saltelli_rows_and_their_structure() -> None:
    """N (D + 2) rows in blocks A, AB_1..AB_D, B: AB_j is A with column j from B."""
    n, d = 16, 3
    table = draw_samples(parse_spec(_spec(design="saltelli", samples=n)))
    assert table.values.shape == (n * (d + 2), d)
    u = saltelli_unit(d, n, seed=0)
    blocks = u.reshape(n, d + 2, d)
    a, b = blocks[:, 0, :], blocks[:, d + 1, :]
    for j in range(d):
        expected = a.copy()
        expected[:, j] = b[:, j]
        np.testing.assert_array_equal(blocks[:, j + 1, :], expected)
    assert u.min() > 0
    assert u.max() < 1
    with pytest.raises(ValueError, match="power of 2"):
        saltelli_unit(d, 12, seed=0)


def test_grid_is_the_full_factorial_first_input_slowest() -> None:
    spec = parse_spec(
        _spec(
            design="grid",
            samples=None,
            inputs={
                "set_temperature_c": {"dist": "grid", "values": [70, 80]},
                "gauge": {"dist": "grid", "values": [18, 20, 22]},
            },
        )
    )
    table = draw_samples(spec)
    expected = [[70, 18], [70, 20], [70, 22], [80, 18], [80, 20], [80, 22]]
    np.testing.assert_array_equal(table.values, expected)
    assert spec.lesion_count() == 6


@pytest.mark.parametrize("design", ["monte_carlo", "latin_hypercube", "saltelli"])
def test_deterministic_in_the_seed(design: str) -> None:
    samples = 16
    first = draw_samples(parse_spec(_spec(design=design, samples=samples, seed=3))).values
    again = draw_samples(parse_spec(_spec(design=design, samples=samples, seed=3))).values
    other = draw_samples(parse_spec(_spec(design=design, samples=samples, seed=4))).values
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_out_of_range_samples_are_refused_with_a_located_message() -> None:
    inputs = {"set_temperature_c": {"dist": "normal", "mean": 90, "sd": 5}}
    with pytest.raises(SpecError) as caught:
        draw_samples(parse_spec(_spec(inputs=inputs, samples=200, seed=1)))
    message = str(caught.value)
    u = np.random.default_rng(1).random((200, 1))[:, 0]
    over = int(np.sum(stats.norm(90, 5).ppf(u) > 95))
    assert over > 0
    assert message.startswith("inputs.set_temperature_c: normal(mean 90, sd 5) gives ")
    assert f"outside the allowed [37, 95] C ({over} of 200 samples)" in message
    assert "truncate the distribution" in message
    truncated = {"set_temperature_c": {"dist": "normal", "mean": 90, "sd": 5, "high": 95}}
    values = draw_samples(parse_spec(_spec(inputs=truncated, samples=200, seed=1))).values
    assert values.max() <= 95
    bad_choice = {"gauge": {"dist": "choice", "values": [18, 19]}}
    with pytest.raises(SpecError, match=r"inputs\.gauge: choice\(18, 19\) gives 19, outside"):
        draw_samples(parse_spec(_spec(inputs=bad_choice, samples=40)))


def test_thermocouple_bias_must_keep_the_effective_set_temperature_in_range() -> None:
    inputs = {"thermocouple_bias_c": {"dist": "uniform", "low": -5, "high": 5}}
    with pytest.raises(SpecError) as caught:
        draw_samples(parse_spec(_spec(inputs=inputs, fixed={"set_temperature_c": 93})))
    message = str(caught.value)
    assert message.startswith("inputs.thermocouple_bias_c: ")
    assert "set_temperature_c 93" in message
    assert "thermocouple_bias_c" in message
    u = np.random.default_rng(0).random((50, 1))[:, 0]
    expected = int(np.sum(93 - (-5 + 10 * u) > 95))
    assert f"({expected} of 50 samples)" in message
    draw_samples(parse_spec(_spec(inputs=inputs, fixed={"set_temperature_c": 80})))


def test_every_published_range_draws_admissible_samples() -> None:
    """Each PUBLISHED_RANGES entry, drawn for its own parameter, passes the range check."""
    for key, entry in PUBLISHED_RANGES.items():
        spec = parse_spec(
            _spec(inputs={entry.parameter: {"dist": "published_range", "key": key}}, samples=64)
        )
        values = draw_samples(spec).values[:, 0]
        assert values.min() >= entry.low, key
        assert values.max() <= entry.high, key

"""The sample table of a sweep: every lesion's input values, drawn deterministically.

Each design draws points u in the unit cube (0, 1)^D and maps column j through its
input's inverse CDF (``Distribution.ppf``); the grid design lists values instead.

- ``monte_carlo``: u = numpy ``default_rng(seed).random((n, D))``.
- ``latin_hypercube``: ``scipy.stats.qmc.LatinHypercube(d=D, rng=seed)``: each column
  has exactly one point in each of the n strata [k/n, (k+1)/n) (McKay, Beckman &
  Conover 1979, Technometrics 21:239-245).
- ``saltelli``: SALib's Saltelli sequence (``SALib.sample.sobol.sample``, first and total
  order only: N (D + 2) rows from a scrambled Sobol' sequence, Saltelli A et al. 2010,
  Comput Phys Commun 181:259-270; Herman & Usher 2017, JOSS 2(9):97), u clipped to
  [1e-12, 1 - 1e-12] (the sequence can touch 0, where a normal's quantile is -inf).
- ``grid``: the full factorial of the grid values, first input slowest.

Every value is then checked against its parameter's range (:mod:`rhizo.sweep.parameters`)
and a thermocouple bias against the set temperature it shifts; a value outside is a
:class:`rhizo.sweep.spec.SpecError` naming the input, the first offending value, how many
and the range allowed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rhizo.sweep.distributions import Grid, Normal
from rhizo.sweep.parameters import get_parameter
from rhizo.sweep.spec import SpecError, SweepSpec

FloatArray = NDArray[np.float64]

#: Saltelli points are clipped into [U_CLIP, 1 - U_CLIP] before the quantile functions.
U_CLIP = 1e-12


@dataclass(frozen=True)
class SampleTable:
    """The rows of a sweep: one per lesion, one column per input (physical units)."""

    names: tuple[str, ...]
    values: FloatArray
    design: str


def monte_carlo_unit(d: int, n: int, seed: int) -> FloatArray:
    """n plain pseudo-random points in (0, 1)^d (numpy default_rng(seed))."""
    u: FloatArray = np.random.default_rng(seed).random((n, d))
    # random() draws [0, 1): move an exact 0 (probability 2^-53 a draw) inside.
    return np.clip(u, U_CLIP, 1.0 - U_CLIP)


def latin_hypercube_unit(d: int, n: int, seed: int) -> FloatArray:
    """n Latin hypercube points in (0, 1)^d: one per stratum [k/n, (k+1)/n) per column."""
    from scipy.stats import qmc

    u: FloatArray = qmc.LatinHypercube(d=d, rng=np.random.default_rng(seed)).random(n)
    return np.clip(u, U_CLIP, 1.0 - U_CLIP)


def saltelli_unit(d: int, n: int, seed: int) -> FloatArray:
    """SALib's Saltelli rows for first and total order: N (d + 2) points in (0, 1)^d.

    Row blocks of d + 2: A, AB_1 ... AB_d, B (SALib's order, which
    :func:`rhizo.sweep.statistics.sobol_indices` reads back). ``n`` must be a power of 2
    (Sobol' sequences balance only then; SALib warns otherwise).
    """
    if n < 1 or n & (n - 1):
        raise ValueError(f"Saltelli base N {n} must be a power of 2")
    from SALib.sample import sobol

    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    u = np.asarray(
        sobol.sample(problem, n, calc_second_order=False, scramble=True, seed=seed),
        dtype=np.float64,
    )
    clipped: FloatArray = np.clip(u, U_CLIP, 1.0 - U_CLIP)
    return clipped


def grid_values(grids: list[list[float]]) -> FloatArray:
    """The full factorial of the grids, first grid slowest (itertools.product order)."""
    rows = list(itertools.product(*grids))
    table: FloatArray = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(grids))
    return table


def _unit(spec: SweepSpec, d: int) -> FloatArray:
    samples = spec.samples or 0
    if spec.design == "monte_carlo":
        return monte_carlo_unit(d, samples, spec.seed)
    if spec.design == "latin_hypercube":
        return latin_hypercube_unit(d, samples, spec.seed)
    return saltelli_unit(d, samples, spec.seed)


def draw_samples(spec: SweepSpec) -> SampleTable:
    """The spec's rows (lesion_count x D, physical units), deterministic in spec.seed."""
    names = spec.input_names()
    distributions = [spec.inputs[name] for name in names]
    if spec.design == "grid":
        grids = [d.values for d in distributions if isinstance(d, Grid)]
        values = grid_values(grids)
    else:
        u = _unit(spec, len(names))
        values = np.empty_like(u)
        for column, distribution in enumerate(distributions):
            values[:, column] = distribution.ppf(u[:, column])
    for column, name in enumerate(names):
        _check_column(spec, name, values[:, column])
    _check_bias(spec, values)
    return SampleTable(names=names, values=values, design=spec.design)


def _check_column(spec: SweepSpec, name: str, column: FloatArray) -> None:
    parameter = get_parameter(name)
    ok = parameter.admitted(column)
    if ok.all():
        return
    bad = column[~ok]
    distribution = spec.inputs[name]
    hint = ""
    if parameter.kind == "continuous":
        hint = (
            "; truncate the distribution (normal low/high) or narrow it"
            if isinstance(distribution, Normal)
            else "; narrow the distribution"
        )
    raise SpecError(
        f"inputs.{name}: {distribution.describe()} gives {bad[0]:g}, outside the allowed "
        f"{parameter.allowed()} ({bad.size} of {column.size} samples){hint}"
    )


def _check_bias(spec: SweepSpec, values: FloatArray) -> None:
    """A thermocouple bias must leave the effective set temperature in the protocol's range."""
    from rhizo.physics.protocol import LesionProtocol
    from rhizo.sweep.evaluate import effective_set_temperature_c

    names = spec.input_names()

    def column(name: str) -> FloatArray:
        if name in names:
            picked: FloatArray = values[:, names.index(name)]
            return picked
        if name in spec.fixed:
            return np.full(len(values), float(spec.fixed[name]))
        default = (
            LesionProtocol.model_fields[name].default
            if name in LesionProtocol.model_fields
            else 0.0
        )
        return np.full(len(values), float(default))

    if "thermocouple_bias_c" not in names and "thermocouple_bias_c" not in spec.fixed:
        return
    bias = column("thermocouple_bias_c")
    set_c = column("set_temperature_c")
    failures: list[str] = []
    for set_value, bias_value in zip(set_c, bias, strict=True):
        try:
            effective_set_temperature_c(float(set_value), float(bias_value))
        except ValueError as error:
            failures.append(str(error))
    if failures:
        where = "inputs" if "thermocouple_bias_c" in names else "fixed"
        raise SpecError(
            f"{where}.thermocouple_bias_c: {failures[0]} ({len(failures)} of {len(values)} "
            "samples); narrow the bias or move the set temperature"
        )

"""The input distributions of a sweep spec and their inverse CDFs (quantile functions).

Each model maps uniform numbers u in (0, 1) to physical values with ``ppf`` (inverse
transform sampling), so every design (Monte Carlo, Latin hypercube, Saltelli) draws in
the unit cube and transforms column by column:

- :class:`Normal`: x = mu + sd Phi^-1(u); truncated to [low, high] when given,
  x = mu + sd Phi^-1(Phi(a) + u (Phi(b) - Phi(a))), a = (low - mu)/sd, b = (high - mu)/sd.
- :class:`LogNormal` by median and coefficient of variation: sigma = sqrt(ln(1 + cv^2)),
  mu = ln(median), x = exp(mu + sigma Phi^-1(u)) (so the mean is median exp(sigma^2/2)
  and sd/mean = cv).
- :class:`Uniform`: x = low + u (high - low).
- :class:`PublishedRange`: uniform or triangular (mode c) over a sourced range, its
  source and evidence level carried along; ``key`` names a
  :data:`rhizo.sweep.ranges.PUBLISHED_RANGES` entry. Triangular: with
  F_c = (c - a)/(b - a), x = a + sqrt(u (b - a)(c - a)) for u < F_c, else
  b - sqrt((1 - u)(b - a)(b - c)).
- :class:`Choice`: discrete values with optional weights (inverse of the step CDF).
- :class:`Grid`: the listed values, every one (the grid design only; no ppf).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from scipy.special import ndtr, ndtri

from rhizo.pathway.facts import Evidence

if TYPE_CHECKING:
    from rhizo.sweep.ranges import SourcedRange

FloatArray = NDArray[np.float64]


def _unit(u: FloatArray) -> FloatArray:
    values = np.asarray(u, dtype=np.float64)
    if values.size and (np.any(values <= 0.0) or np.any(values >= 1.0) or np.any(np.isnan(values))):
        raise ValueError("ppf takes u strictly inside (0, 1)")
    return values


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Normal(_Model):
    """Normal(mean, sd), truncated to [low, high] when either is given."""

    dist: Literal["normal"] = "normal"
    mean: float
    sd: float = Field(gt=0)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _truncation_holds_mass(self) -> Normal:
        if self.low is not None and self.high is not None and self.high <= self.low:
            raise ValueError(f"high {self.high:g} must be > low {self.low:g}")
        lo, hi = self._cdf_bounds()
        if hi - lo < 1e-12:
            raise ValueError(
                f"truncation [{self.low}, {self.high}] holds no probability of "
                f"normal(mean {self.mean:g}, sd {self.sd:g}); put the mean nearer the range"
            )
        return self

    def _cdf_bounds(self) -> tuple[float, float]:
        lo = 0.0 if self.low is None else float(ndtr((self.low - self.mean) / self.sd))
        hi = 1.0 if self.high is None else float(ndtr((self.high - self.mean) / self.sd))
        return lo, hi

    def ppf(self, u: FloatArray) -> FloatArray:
        """Quantiles of the (truncated) normal at u."""
        values = _unit(u)
        lo, hi = self._cdf_bounds()
        x: FloatArray = self.mean + self.sd * ndtri(lo + values * (hi - lo))
        if self.low is not None:
            x = np.maximum(x, self.low)
        if self.high is not None:
            x = np.minimum(x, self.high)
        return x

    def describe(self) -> str:
        """ "normal(mean 0.49, sd 0.05)", with its truncation."""
        cut = ""
        if self.low is not None or self.high is not None:
            lo = "-inf" if self.low is None else f"{self.low:g}"
            hi = "inf" if self.high is None else f"{self.high:g}"
            cut = f", truncated to [{lo}, {hi}]"
        return f"normal(mean {self.mean:g}, sd {self.sd:g}{cut})"


class LogNormal(_Model):
    """Log-normal by its median and coefficient of variation (sd/mean)."""

    dist: Literal["lognormal"] = "lognormal"
    median: float = Field(gt=0)
    cv: float = Field(gt=0)

    @property
    def sigma(self) -> float:
        """sigma of ln x: sqrt(ln(1 + cv^2))."""
        return math.sqrt(math.log1p(self.cv**2))

    @property
    def mu(self) -> float:
        """mu of ln x: ln(median)."""
        return math.log(self.median)

    def ppf(self, u: FloatArray) -> FloatArray:
        """exp(mu + sigma Phi^-1(u))."""
        x: FloatArray = np.exp(self.mu + self.sigma * ndtri(_unit(u)))
        return x

    def describe(self) -> str:
        """ "lognormal(median 0.5, cv 0.2)"."""
        return f"lognormal(median {self.median:g}, cv {self.cv:g})"


class Uniform(_Model):
    """Uniform on [low, high]."""

    dist: Literal["uniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.high > self.low:
            raise ValueError(f"high {self.high:g} must be > low {self.low:g}")
        return self

    def ppf(self, u: FloatArray) -> FloatArray:
        """low + u (high - low)."""
        x: FloatArray = self.low + _unit(u) * (self.high - self.low)
        return x

    def describe(self) -> str:
        """ "uniform(0.4, 0.6)"."""
        return f"uniform({self.low:g}, {self.high:g})"


class PublishedRange(_Model):
    """A range read in a source: uniform or triangular over it, its source carried along.

    Either ``key`` (a :data:`rhizo.sweep.ranges.PUBLISHED_RANGES` entry supplying low,
    high, source and evidence) or the four values themselves; not both.
    """

    dist: Literal["published_range"] = "published_range"
    key: str | None = None
    low: float | None = None
    high: float | None = None
    source: str | None = Field(None, min_length=10)
    evidence: Evidence | None = None
    shape: Literal["uniform", "triangular"] = "uniform"
    mode: float | None = None

    @model_validator(mode="after")
    def _key_or_values(self) -> PublishedRange:
        given = [n for n in ("low", "high", "source", "evidence") if getattr(self, n) is not None]
        if self.key is not None:
            if given:
                raise ValueError(
                    f"key '{self.key}' supplies low, high, source and evidence; "
                    f"remove {', '.join(given)}"
                )
            self.resolved()
        else:
            missing = [n for n in ("low", "high", "source", "evidence") if n not in given]
            if missing:
                raise ValueError(
                    f"missing {', '.join(missing)}; a published_range needs key, or "
                    "low, high, source and evidence"
                )
        low, high = self.bounds()
        if not high > low:
            raise ValueError(f"high {high:g} must be > low {low:g}")
        if self.shape == "triangular":
            if self.mode is None:
                raise ValueError("mode: missing; a triangular range needs its mode")
            if not low <= self.mode <= high:
                raise ValueError(
                    f"mode: {self.mode:g} is not allowed; must be in [{low:g}, {high:g}]"
                )
        elif self.mode is not None:
            raise ValueError("mode: only for shape 'triangular'")
        return self

    def resolved(self) -> SourcedRange | None:
        """The PUBLISHED_RANGES entry ``key`` names (None without a key); ValueError if unknown."""
        if self.key is None:
            return None
        from rhizo.sweep.ranges import PUBLISHED_RANGES

        try:
            return PUBLISHED_RANGES[self.key]
        except KeyError:
            allowed = ", ".join(PUBLISHED_RANGES) or "(none)"
            raise ValueError(f"key: unknown range '{self.key}'; allowed: {allowed}") from None

    def bounds(self) -> tuple[float, float]:
        """(low, high) of the range, from the key's entry or the values given."""
        entry = self.resolved()
        if entry is not None:
            return entry.low, entry.high
        if self.low is None or self.high is None:
            raise ValueError("a published_range needs key, or low and high")
        return self.low, self.high

    def cited(self) -> tuple[str, Evidence]:
        """(source, evidence level) of the range."""
        entry = self.resolved()
        if entry is not None:
            return entry.source, entry.evidence
        if self.source is None or self.evidence is None:
            raise ValueError("a published_range needs key, or source and evidence")
        return self.source, self.evidence

    def ppf(self, u: FloatArray) -> FloatArray:
        """Uniform or triangular quantiles over [low, high]."""
        values = _unit(u)
        low, high = self.bounds()
        width = high - low
        if self.shape == "uniform":
            x: FloatArray = low + values * width
            return x
        mode = low if self.mode is None else self.mode
        split = (mode - low) / width
        left = low + np.sqrt(values * width * (mode - low))
        right = high - np.sqrt((1.0 - values) * width * (high - mode))
        x = np.where(values < split, left, right)
        return x

    def describe(self) -> str:
        """ "triangular(0.3, 0.7, mode 0.5) from <source> [secondary]"."""
        low, high = self.bounds()
        source, evidence = self.cited()
        shape = (
            f"triangular({low:g}, {high:g}, mode {self.mode:g})"
            if self.shape == "triangular" and self.mode is not None
            else f"uniform({low:g}, {high:g})"
        )
        return f"{shape} from {source} [{evidence}]"


class Choice(_Model):
    """Discrete values, equally likely or with the given weights."""

    dist: Literal["choice"] = "choice"
    values: list[float] = Field(min_length=2)
    weights: list[float] | None = None

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: list[float]) -> list[float]:
        if len(set(values)) != len(values):
            raise ValueError(f"{values} repeats a value; list each once")
        return values

    @model_validator(mode="after")
    def _weights_match(self) -> Choice:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights: {len(self.weights)} given for {len(self.values)} values; "
                    "one weight per value"
                )
            if any(not w > 0 or not math.isfinite(w) for w in self.weights):
                raise ValueError(f"weights: {self.weights} is not allowed; each must be > 0")
        return self

    def probabilities(self) -> FloatArray:
        """The weights normalised to sum 1 (equal without weights)."""
        raw = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        p: FloatArray = raw / raw.sum()
        return p

    def ppf(self, u: FloatArray) -> FloatArray:
        """values[k] with k the first index whose cumulative probability exceeds u."""
        cumulative = np.cumsum(self.probabilities())
        index = np.searchsorted(cumulative, _unit(u), side="right")
        index = np.minimum(index, len(self.values) - 1)
        x: FloatArray = np.asarray(self.values, dtype=np.float64)[index]
        return x

    def describe(self) -> str:
        """ "choice(16, 18)" or "choice(16 (0.25), 18 (0.75))"."""
        if self.weights is None:
            return "choice(" + ", ".join(f"{v:g}" for v in self.values) + ")"
        p = self.probabilities()
        return (
            "choice("
            + ", ".join(f"{v:g} ({w:.3g})" for v, w in zip(self.values, p, strict=True))
            + ")"
        )


class Grid(_Model):
    """Every listed value (the grid design's full factorial)."""

    dist: Literal["grid"] = "grid"
    values: list[float] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _distinct(cls, values: list[float]) -> list[float]:
        if len(set(values)) != len(values):
            raise ValueError(f"{values} repeats a value; list each once")
        return values

    def ppf(self, u: FloatArray) -> FloatArray:
        """A grid is not sampled: the grid design takes every value."""
        raise ValueError("a grid input has no quantile function; use design 'grid'")

    def describe(self) -> str:
        """ "grid(70, 80, 90)"."""
        return "grid(" + ", ".join(f"{v:g}" for v in self.values) + ")"


Distribution = Annotated[
    Normal | LogNormal | Uniform | PublishedRange | Choice | Grid, Field(discriminator="dist")
]

#: The distribution names and their arguments (for error messages).
DISTRIBUTIONS: dict[str, type[BaseModel]] = {
    "normal": Normal,
    "lognormal": LogNormal,
    "uniform": Uniform,
    "published_range": PublishedRange,
    "choice": Choice,
    "grid": Grid,
}

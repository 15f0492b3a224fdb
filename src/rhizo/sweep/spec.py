"""The sweep spec: what to fix, what to vary and how, what to record, how many lesions.

A spec (YAML or JSON) names ``fixed`` settings, the ``inputs`` with their
distributions (:mod:`rhizo.sweep.distributions`), the ``outputs``
(:data:`OUTPUTS`), a ``design`` and its sample count::

    name: width-sensitivity
    fixed: {tissue: muscle-in-vivo, gauge: 18, tip_length_mm: 10, set_temperature_c: 80}
    inputs:
      tissue.thermal_conductivity_w_per_m_k: {dist: normal, mean: 0.49, sd: 0.05}
      tissue.perfusion_rate_per_s: {dist: published_range, key: muscle.perfusion}
    outputs: [width_mm, length_mm, isotherm_50c.width_mm]
    design: saltelli
    samples: 256            # saltelli: base N, a power of 2; lesions = N (D + 2)

Every error is one line naming where it is, the value and what is allowed
(``"spec.yaml: inputs.x.sd: -1 is not allowed; must be > 0"``), :class:`SpecError`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rhizo.physics.lesion import BOUNDARY_DESCRIPTIONS, LesionDimensions
from rhizo.physics.tissue import get_tissue
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM
from rhizo.planning.placement import CannulaPlacement, PlacementError
from rhizo.sweep.distributions import DISTRIBUTIONS, Distribution, Grid, PublishedRange
from rhizo.sweep.parameters import PARAMETERS, get_parameter

Design = Literal["monte_carlo", "latin_hypercube", "saltelli", "grid"]

#: The most lesions one spec may ask for (memory of the sample table: 10^7 x D floats).
MAX_LESIONS = 10_000_000

_DIMENSION_TEXT = {
    "width_mm": "lesion width (diameter across the cannula), mm",
    "length_mm": "lesion length along the cannula, mm",
    "volume_mm3": "lesion volume, mm^3",
    "distal_extension_mm": "lesion extent beyond the tip, mm",
    "proximal_extension_mm": "lesion extent behind the active tip's proximal end, mm",
}
_DIMENSIONS = tuple(name for name in LesionDimensions.model_fields if name != "boundary")


def _outputs() -> dict[str, str]:
    table: dict[str, str] = {}
    for dimension in _DIMENSIONS:
        table[dimension] = f"{_DIMENSION_TEXT[dimension]} (Arrhenius boundary, Omega >= 1)"
    for boundary, text in BOUNDARY_DESCRIPTIONS.items():
        if boundary == "arrhenius":
            continue
        for dimension in _DIMENSIONS:
            table[f"{boundary}.{dimension}"] = f"{_DIMENSION_TEXT[dimension]} ({text})"
    table["peak_tissue_temperature_c"] = "hottest tissue temperature during the lesion, C"
    table["max_power_w"] = "highest generator power delivered, W"
    table["energy_j"] = "energy delivered, J"
    table["final_impedance_ohm"] = "impedance at the end of the lesion, ohm"
    table["capture_probability"] = (
        "probability the lesion captures every nerve of the joint (product over nerves; "
        "needs a capture section), dimensionless"
    )
    return table


#: Output name -> description with unit. The Arrhenius boundary's dimensions have the
#: plain names ("width_mm"); the other boundaries are prefixed ("isotherm_50c.width_mm").
OUTPUTS: dict[str, str] = _outputs()


class SpecError(ValueError):
    """A spec that cannot run: one line, "<origin>: <location>: <problem>"."""


def _value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return repr(value)
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


_LEADING_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): (.*)$")


def _model_at(loc: tuple[str, ...]) -> type[BaseModel] | None:
    """The model whose fields an error at ``loc`` (tag-stripped) belongs to."""
    if len(loc) == 1:
        return SweepSpec
    if len(loc) == 2 and loc[0] == "capture":
        return CaptureSpec
    return None


def _problem(error: Any) -> str:
    """One pydantic error as "location: problem"."""
    raw = [str(part) for part in error["loc"]]
    dist: str | None = None
    if len(raw) > 2 and raw[0] == "inputs" and raw[2] in DISTRIBUTIONS:
        dist = raw.pop(2)
    loc = tuple(raw)
    kind: str = error["type"]
    ctx: dict[str, Any] = error.get("ctx") or {}
    value = error.get("input")
    message: str
    if kind == "missing":
        message = "missing"
        if dist is not None:
            model = DISTRIBUTIONS[dist]
            needs = [
                name
                for name, field in model.model_fields.items()
                if name != "dist" and field.is_required()
            ]
            message = f"missing; {dist} needs {', '.join(needs)}"
    elif kind == "extra_forbidden":
        owner = DISTRIBUTIONS[dist] if dist is not None else _model_at(loc)
        allowed = "" if owner is None else ", ".join(n for n in owner.model_fields if n != "dist")
        message = "unknown field" + (f"; allowed: {allowed}" if allowed else "")
    elif kind == "union_tag_invalid":
        tags = ", ".join(DISTRIBUTIONS)
        loc = (*loc, "dist")
        message = f"{_value(ctx.get('tag'))} is not allowed; allowed: {tags}"
    elif kind == "union_tag_not_found":
        message = f"missing 'dist'; allowed: {', '.join(DISTRIBUTIONS)}"
    elif kind == "greater_than":
        message = f"{_value(value)} is not allowed; must be > {_value(ctx.get('gt'))}"
    elif kind == "greater_than_equal":
        message = f"{_value(value)} is not allowed; at least {_value(ctx.get('ge'))}"
    elif kind == "less_than":
        message = f"{_value(value)} is not allowed; must be < {_value(ctx.get('lt'))}"
    elif kind == "less_than_equal":
        message = f"{_value(value)} is not allowed; at most {_value(ctx.get('le'))}"
    elif kind == "literal_error":
        message = f"{_value(value)} is not allowed; allowed: {ctx.get('expected')}"
    elif kind in ("value_error", "assertion_error"):
        text = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
        match = _LEADING_FIELD.match(text)
        while match and not text.startswith(("missing", "unknown")):
            loc = (*loc, match.group(1))
            text = match.group(2)
            match = _LEADING_FIELD.match(text)
        message = text
    else:
        message = f"{_value(value)} is not allowed; {str(error['msg']).lower()}"
    where = ".".join(loc)
    return f"{where}: {message}" if where else message


def first_problem(error: ValidationError) -> str:
    """The first error of a pydantic ValidationError as one located line."""
    return _problem(error.errors()[0])


class CaptureSpec(BaseModel):
    """Capture probability of every lesion for one joint and planned placement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    joint: str
    placement: dict[str, float] = Field(default_factory=dict)
    errors: dict[str, float] | None = None
    samples: int = Field(2000, ge=100, le=100_000)
    seed: int = Field(0, ge=0)
    min_length_mm: float = Field(MIN_CAPTURED_LENGTH_MM, gt=0)

    @field_validator("joint")
    @classmethod
    def _known_joint(cls, joint: str) -> str:
        from rhizo.planning.anatomy import get_joint

        try:
            get_joint(joint)
        except KeyError as error:
            raise ValueError(f"{joint!r} is not allowed; {error.args[0]}") from None
        return joint

    @field_validator("placement")
    @classmethod
    def _valid_placement(cls, placement: dict[str, float]) -> dict[str, float]:
        try:
            CannulaPlacement(**placement)
        except ValidationError as error:
            raise ValueError(_nested(error, CannulaPlacement)) from None
        return placement

    @field_validator("errors")
    @classmethod
    def _valid_errors(cls, errors: dict[str, float] | None) -> dict[str, float] | None:
        if errors is not None:
            try:
                PlacementError(**errors)
            except ValidationError as error:
                raise ValueError(_nested(error, PlacementError)) from None
        return errors


def _nested(error: ValidationError, model: type[BaseModel]) -> str:
    """A nested model's first error as "field: problem" (its location joins the parent's)."""
    first = error.errors()[0]
    if first["type"] == "extra_forbidden":
        return f"{first['loc'][0]}: unknown field; allowed: {', '.join(model.model_fields)}"
    return _problem(first)


def _power_of_two(n: int) -> bool:
    return n >= 1 and (n & (n - 1)) == 0


class SweepSpec(BaseModel):
    """A population sweep: fixed settings, input distributions, outputs and design."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    description: str = ""
    fixed: dict[str, float | int | str] = Field(default_factory=dict)
    inputs: dict[str, Distribution] = Field(min_length=1)
    outputs: list[str] = Field(min_length=1)
    capture: CaptureSpec | None = None
    design: Design = "monte_carlo"
    samples: int | None = Field(None, ge=1)
    seed: int = Field(0, ge=0)
    chunk_size: int = Field(1000, ge=1, le=100_000)
    backend: Literal["numpy", "cupy", "auto"] = "numpy"

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        self._check_names()
        self._check_fixed()
        self._check_outputs()
        self._check_capture()
        self._check_design()
        return self

    def _check_names(self) -> None:
        for name in self.inputs:
            try:
                get_parameter(name)
            except KeyError as error:
                raise ValueError(f"inputs.{name}: {error.args[0]}") from None
            if name in self.fixed:
                raise ValueError(f"inputs.{name}: also in fixed; a parameter is fixed or varied")
            distribution = self.inputs[name]
            entry = distribution.resolved() if isinstance(distribution, PublishedRange) else None
            if entry is not None and entry.parameter != name:
                raise ValueError(
                    f"inputs.{name}.key: {entry.key!r} is a range of {entry.parameter}, "
                    f"not of {name}"
                )

    def _check_fixed(self) -> None:
        for name, value in self.fixed.items():
            if name == "tissue":
                if not isinstance(value, str):
                    raise ValueError(f"fixed.tissue: {_value(value)} is not a catalogue name")
                try:
                    get_tissue(value)
                except KeyError as error:
                    raise ValueError(f"fixed.tissue: {error.args[0]}") from None
                continue
            try:
                parameter = get_parameter(name)
            except KeyError as error:
                raise ValueError(
                    f"fixed.{name}: {error.args[0]}, or 'tissue' (a catalogue name)"
                ) from None
            if isinstance(value, str) or not parameter.admits(float(value)):
                raise ValueError(
                    f"fixed.{name}: {_value(value)} is not allowed; allowed: {parameter.allowed()}"
                )

    def _check_outputs(self) -> None:
        seen: set[str] = set()
        for index, name in enumerate(self.outputs):
            if name in seen:
                raise ValueError(f"outputs.{index}: {name!r} is listed twice; list each once")
            seen.add(name)
            if name in OUTPUTS:
                continue
            boundary, _, dimension = name.partition(".")
            if boundary == "arrhenius" and dimension in _DIMENSIONS:
                raise ValueError(
                    f"outputs.{index}: {name!r} is not allowed; the Arrhenius boundary's "
                    f"{dimension} is named {dimension!r} (one name per quantity)"
                )
            guess = difflib.get_close_matches(name, list(OUTPUTS), n=1)
            hint = f" (did you mean {guess[0]!r}?)" if guess else ""
            raise ValueError(
                f"outputs.{index}: unknown output {name!r}{hint}; allowed: {', '.join(OUTPUTS)}"
            )

    def _check_capture(self) -> None:
        placed = [
            n for n in [*self.inputs, *self.fixed] if n in PARAMETERS and n.startswith("placement.")
        ]
        if self.capture is None:
            if "capture_probability" in self.outputs:
                raise ValueError(
                    "capture: missing; output capture_probability needs a capture section "
                    "(joint, placement)"
                )
            if placed:
                raise ValueError(
                    f"capture: missing; {placed[0]} needs a capture section (joint, placement)"
                )
            return
        for name in placed:
            field = PARAMETERS[name].field
            if field in self.capture.placement:
                raise ValueError(
                    f"capture.placement.{field}: also given as {name}; set it in one place"
                )

    def _check_design(self) -> None:
        grids = [name for name, d in self.inputs.items() if isinstance(d, Grid)]
        if self.design == "grid":
            others = [name for name in self.inputs if name not in grids]
            if others:
                raise ValueError(f"inputs.{others[0]}: design 'grid' takes only dist 'grid' inputs")
            if self.samples is not None:
                raise ValueError(
                    f"samples: {self.samples} is not allowed with design 'grid' "
                    "(its size is the product of the grids); leave it out"
                )
        else:
            if grids:
                raise ValueError(
                    f"inputs.{grids[0]}: dist 'grid' needs design 'grid' "
                    f"(design is {self.design!r}); use uniform or choice"
                )
            if self.samples is None:
                raise ValueError(f"samples: missing; design {self.design!r} needs a sample count")
            if self.design == "saltelli" and not _power_of_two(self.samples):
                below = 1 << (self.samples.bit_length() - 1)
                raise ValueError(
                    f"samples: {self.samples} is not allowed for design 'saltelli'; "
                    f"the base N must be a power of 2 (e.g. {below} or {below * 2})"
                )
        count = self.lesion_count()
        if count > MAX_LESIONS:
            raise ValueError(
                f"samples: the spec asks for {count} lesions; at most {MAX_LESIONS} per sweep"
            )

    def canonical_json(self) -> str:
        """The spec as JSON, keys sorted, compact: what :meth:`digest` hashes."""
        return json.dumps(
            self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), allow_nan=False
        )

    def digest(self) -> str:
        """sha256 (hex) of :meth:`canonical_json`, the inputs' order and the ranges keys name.

        The identity of a sweep's rows: a range drawn by key (``{dist: published_range,
        key: ...}``) is stored by its key, so the numbers the key stands for now are
        hashed beside it; a sweep directory started before a range was revised is then
        refused on resume instead of mixing rows drawn from two ranges.
        """
        ranges = {
            name: [found.low, found.high]
            for name, distribution in self.inputs.items()
            if isinstance(distribution, PublishedRange)
            and (found := distribution.resolved()) is not None
        }
        # canonical_json sorts keys, but the inputs' order is the sample table's column
        # order (the rows drawn differ): it is hashed too.
        extra = {"input_order": list(self.inputs), "ranges": ranges}
        text = self.canonical_json() + json.dumps(extra, sort_keys=True, allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def input_names(self) -> tuple[str, ...]:
        """The inputs in spec order (the sample table's columns)."""
        return tuple(self.inputs)

    def lesion_count(self) -> int:
        """Lesions the sweep runs: samples (MC, LHS), N (D + 2) (Saltelli), grid product."""
        if self.design == "grid":
            return math.prod(len(d.values) for d in self.inputs.values() if isinstance(d, Grid))
        samples = self.samples or 0
        if self.design == "saltelli":
            return samples * (len(self.inputs) + 2)
        return samples


def parse_spec(data: object, *, origin: str = "spec") -> SweepSpec:
    """A SweepSpec from parsed YAML/JSON; SpecError with the first located problem."""
    if not isinstance(data, dict):
        kind = "nothing" if data is None else type(data).__name__
        raise SpecError(f"{origin}: the spec must be a mapping of settings, got {kind}")
    try:
        return SweepSpec.model_validate(data)
    except ValidationError as error:
        raise SpecError(f"{origin}: {first_problem(error)}") from None


def load_spec(path: Path) -> SweepSpec:
    """Read a YAML or JSON spec file; SpecError on an unreadable file, bad YAML or a bad spec."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise SpecError(f"{path}: cannot read the spec: {reason}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise SpecError(f"{path}: not valid YAML{where}: {problem}") from None
    return parse_spec(data, origin=str(path))

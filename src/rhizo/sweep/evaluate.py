"""One chunk of a sweep's rows -> its columns, through the batched engine.

A row holds one value per input (``spec.input_names()`` order, physical units);
:func:`protocol_for` turns it, with the spec's fixed settings, into a
:class:`rhizo.physics.protocol.LesionProtocol` (and a
:class:`rhizo.planning.placement.CannulaPlacement` when the spec has a capture
section), applying each value to its parameter's target
(:mod:`rhizo.sweep.parameters`):

* ``protocol``: a LesionProtocol field (gauge, tip, set temperature, ...);
* ``tissue``: a field of the tissue (``spec.fixed["tissue"]``, default
  ``muscle-in-vivo``), rebuilt as ``Tissue.model_validate({**base, field: value})``
  with its name kept, and a NEW protocol built on it, so the damage model follows
  the tissue;
* ``thermocouple``: ``thermocouple_bias_c`` = b, the sensor reading b C above the
  true metal temperature, so the controller holds the true tip at
  ``set_temperature_c - b``: applied as that effective set temperature (which must
  stay inside the protocol's bounds);
* ``placement``: a CannulaPlacement field (capture only).

:func:`evaluate_chunk` runs the chunk's protocols through
:func:`rhizo.physics.batch.simulate_sweep` (``max_batch=256``): lesions that share
cannula, tissue and grid advance in lock step, so program sweeps batch and tissue
sweeps do not (every lesion has its own tissue model; see docs/sweeps.md). It is
pure and picklable: the spec travels as JSON and is parsed again on the
worker (``model_dump_json``, which keeps the inputs' order), and it returns plain NumPy
columns.

Capture probability (output ``capture_probability``): the planner's profile of each
lesion (:func:`rhizo.planning.lesions.profile_from_result`), one
:func:`rhizo.planning.montecarlo.estimate_capture` per nerve of the joint on poses
drawn once per (placement, nerve, tip, cannula) with ``capture.seed``
(:func:`rhizo.planning.pose_set.draw_pose_set`: common random numbers, so lesions
differ by their size, not by their draws), combined by THE joint rule
:func:`rhizo.planning.joint.joint_capture_of` (product over nerves).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rhizo.physics.lesion import BOUNDARY_DESCRIPTIONS, LesionDimensions
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.tissue import Tissue, get_tissue
from rhizo.planning.placement import CannulaPlacement, PlacementError

if TYPE_CHECKING:
    from rhizo.physics.result import LesionResult
    from rhizo.planning.pose_set import PoseSet
    from rhizo.sweep.spec import SweepSpec

__all__ = [
    "DEFAULT_SWEEP_TISSUE",
    "MAX_BATCH",
    "column_names",
    "effective_set_temperature_c",
    "evaluate_chunk",
    "protocol_for",
    "resolve_backend",
]

FloatArray = NDArray[np.float64]

#: The sweep's tissue when ``fixed`` names none: the planner's default living tissue.
DEFAULT_SWEEP_TISSUE = "muscle-in-vivo"
#: Lesions advanced together by the batched engine (memory grows with it). Measured on
#: 256 lesions of 18 G / 10 mm in muscle-in-vivo, one process, one BLAS thread: set
#: temperature varied, 22 ms a lesion and 223 MB peak at 64 vs 22 ms and 391 MB at 256;
#: ramp varied (every lesion its own step lengths, so its own heat factorisations), 73
#: ms and 956 MB at 64 vs 81 ms and 3.07 GB at 256.
MAX_BATCH = 64
_DIMENSIONS = tuple(name for name in LesionDimensions.model_fields if name != "boundary")


def column_names(spec: SweepSpec) -> list[str]:
    """The result columns: ``sample``, the inputs, the outputs, ``warnings``."""
    return ["sample", *spec.input_names(), *spec.outputs, "warnings"]


def _bounds(field: str) -> tuple[float, float]:
    """(ge, le) of a LesionProtocol field, from its declaration (one definition)."""
    low, high = -np.inf, np.inf
    for rule in LesionProtocol.model_fields[field].metadata:
        if getattr(rule, "ge", None) is not None:
            low = float(rule.ge)
        if getattr(rule, "le", None) is not None:
            high = float(rule.le)
    return low, high


def effective_set_temperature_c(set_temperature_c: float, bias_c: float) -> float:
    """The true tip temperature the controller holds: ``set_temperature_c - bias_c``.

    A thermocouple reading ``bias_c`` above the true metal temperature stops the
    generator's power ``bias_c`` early. ``ValueError`` naming both when the result
    leaves the protocol's set-temperature bounds.
    """
    low, high = _bounds("set_temperature_c")
    effective = set_temperature_c - bias_c
    if not low <= effective <= high:
        raise ValueError(
            f"thermocouple_bias_c {bias_c:g} with set_temperature_c {set_temperature_c:g}: "
            f"effective set temperature {effective:g} C is outside {low:g}-{high:g} C"
        )
    return effective


def _typed(kind: str, value: float | int | str) -> float | int | str:
    """Integer and choice values as int when integral (gauge 18.0 -> 18)."""
    if kind in ("integer", "choice") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _settings(spec: SweepSpec, row: FloatArray) -> dict[str, float | int | str]:
    settings: dict[str, float | int | str] = {
        name: value for name, value in spec.fixed.items() if name != "tissue"
    }
    names = spec.input_names()
    if len(row) != len(names):
        raise ValueError(f"row has {len(row)} values; the spec has {len(names)} inputs")
    settings.update({name: float(value) for name, value in zip(names, row, strict=True)})
    return settings


def protocol_for(
    spec: SweepSpec, row: FloatArray
) -> tuple[LesionProtocol, CannulaPlacement | None]:
    """The lesion protocol (and the capture placement, None without capture) of one row."""
    from rhizo.sweep.parameters import get_parameter

    protocol_fields: dict[str, Any] = {}
    tissue_fields: dict[str, Any] = {}
    placement_fields: dict[str, Any] = dict(spec.capture.placement) if spec.capture else {}
    bias_c = 0.0
    for name, value in _settings(spec, row).items():
        parameter = get_parameter(name)
        typed = _typed(parameter.kind, value)
        if parameter.target == "protocol":
            protocol_fields[parameter.field] = typed
        elif parameter.target == "tissue":
            tissue_fields[parameter.field] = typed
        elif parameter.target == "thermocouple":
            bias_c = float(typed)
        elif parameter.target == "placement":
            if spec.capture is None:
                raise ValueError(f"{name}: a placement input needs the spec's capture section")
            placement_fields[parameter.field] = typed
    tissue_name = spec.fixed.get("tissue", DEFAULT_SWEEP_TISSUE)
    base = get_tissue(str(tissue_name))
    tissue = (
        Tissue.model_validate({**base.model_dump(), **tissue_fields}) if tissue_fields else base
    )
    if bias_c != 0.0:
        set_c = float(
            protocol_fields.get(
                "set_temperature_c", LesionProtocol.model_fields["set_temperature_c"].default
            )
        )
        protocol_fields["set_temperature_c"] = effective_set_temperature_c(set_c, bias_c)
    protocol = LesionProtocol(tissue=tissue, **protocol_fields)
    placement = CannulaPlacement(**placement_fields) if spec.capture is not None else None
    return protocol, placement


def resolve_backend(name: str) -> str:
    """ "auto" -> "cupy" when CuPy imports and sees a device on this machine, else "numpy"."""
    if name != "auto":
        return name
    from rhizo.physics.backend import cupy_available

    return "cupy" if cupy_available() else "numpy"


def _output(name: str, result: LesionResult) -> float:
    if name in _DIMENSIONS:
        return float(getattr(result.boundaries["arrhenius"], name))
    boundary, dot, dimension = name.partition(".")
    if dot:
        if boundary not in BOUNDARY_DESCRIPTIONS or dimension not in _DIMENSIONS:
            raise ValueError(f"output {name!r} is not known")
        return float(getattr(result.boundaries[boundary], dimension))
    return float(getattr(result, name))


class _Capture:
    """Joint capture probability of lesions, on pose sets drawn once (common random numbers)."""

    def __init__(self, spec: SweepSpec) -> None:
        from rhizo.planning.anatomy import get_joint

        if spec.capture is None:
            raise ValueError("output capture_probability needs the spec's capture section")
        self.settings = spec.capture
        self.joint = get_joint(spec.capture.joint)
        self.errors = (
            PlacementError(**spec.capture.errors) if spec.capture.errors else PlacementError()
        )
        self.poses: dict[str, PoseSet] = {}

    def probability(
        self, protocol: LesionProtocol, result: LesionResult, placement: CannulaPlacement
    ) -> float:
        from rhizo.planning.joint import joint_capture_of
        from rhizo.planning.lesions import LESION_RADIUS_CV, profile_from_result
        from rhizo.planning.montecarlo import estimate_capture
        from rhizo.planning.pose_set import draw_pose_set

        profile = profile_from_result(protocol, result, "arrhenius")
        tip_mm = profile.tip_length_m * 1e3
        cannula_mm = profile.cannula_radius_m * 1e3
        estimates = []
        for nerve in self.joint.nerves:
            key = json.dumps([placement.model_dump(), nerve.name, tip_mm, cannula_mm])
            poses = self.poses.get(key)
            if poses is None:
                poses = draw_pose_set(
                    placement,
                    nerve,
                    tip_length_mm=tip_mm,
                    cannula_radius_mm=cannula_mm,
                    errors=self.errors,
                    samples=self.settings.samples,
                    seed=self.settings.seed,
                    radius_cv=LESION_RADIUS_CV,
                )
                self.poses[key] = poses
            estimate = estimate_capture(
                profile,
                nerve,
                placement,
                errors=self.errors,
                samples=self.settings.samples,
                seed=self.settings.seed,
                min_length_mm=self.settings.min_length_mm,
                poses=poses,
            )
            estimates.append((estimate.capture_probability, estimate.ci95))
        probability, _ = joint_capture_of(estimates)
        return probability


def evaluate_chunk(
    spec_json: str, start: int, values: FloatArray, backend: str | None = None
) -> dict[str, np.ndarray]:
    """The columns of rows ``start ... start + len(values) - 1`` (``column_names`` order).

    ``spec_json`` is the spec as JSON (parsed again here, on the worker) in its own key
    order, ``spec.model_dump_json()``: the inputs' order is the order of ``values``'
    columns, which the sorted keys of ``canonical_json`` lose;
    ``values`` the rows' inputs; ``backend`` ("numpy", "cupy", "auto"; default the
    spec's) is resolved on this worker. ``sample`` is int64, inputs and outputs float64,
    ``warnings`` the lesion's engine warnings joined by "; " (str).
    """
    from rhizo.physics.batch import sweep_batches
    from rhizo.sweep.spec import parse_spec

    spec = parse_spec(json.loads(spec_json), origin="spec")
    rows = np.asarray(values, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] != len(spec.input_names()):
        raise ValueError(
            f"values: shape {rows.shape}; expected (rows, {len(spec.input_names())}) inputs"
        )
    built = [protocol_for(spec, row) for row in rows]
    protocols = [protocol for protocol, _ in built]
    count = len(rows)
    columns: dict[str, np.ndarray] = {"sample": np.arange(start, start + count, dtype=np.int64)}
    for index, name in enumerate(spec.input_names()):
        columns[name] = rows[:, index].copy()
    outputs = {name: np.empty(count, dtype=np.float64) for name in spec.outputs}
    warnings = np.empty(count, dtype=object)
    capture = _Capture(spec) if "capture_probability" in spec.outputs else None
    # Batch by batch: each lesion's numbers are read and its result (its fields, about
    # 1 MB a lesion) let go, so a worker holds at most MAX_BATCH results, not a chunk's.
    for indices, results in sweep_batches(
        protocols, backend=resolve_backend(backend or spec.backend), max_batch=MAX_BATCH
    ):
        for i, result in zip(indices, results, strict=True):
            protocol, placement = built[i]
            for name, column in outputs.items():
                if name == "capture_probability" and capture is not None and placement is not None:
                    column[i] = capture.probability(protocol, result, placement)
                else:
                    column[i] = _output(name, result)
            warnings[i] = "; ".join(result.warnings)
    columns.update(outputs)
    columns["warnings"] = warnings
    return columns

"""The record link: each performed lesion's capture as the planner predicts it (issue 17).

When a lesion is recorded as performed with its target nerve, cannula gauge,
active tip length, set temperature, time at temperature and placement
(parallel or perpendicular), the capture planner (:mod:`rhizo.planning`) is
asked, with its defaults, how likely that lesion was to capture the nerve:

- the lesion is computed in :data:`rhizo.physics.CLINICAL_TISSUE` (perfused
  muscle at 37 C) through :func:`rhizo.planning.lesion_for` (a built surrogate
  table when one covers the setting, else the engine);
- the cannula is planned at the planner's default offset
  (``CannulaPlacement().offset_mm`` = 1 mm across the nerve, tip lowered to
  contact), angle 0 deg for parallel and 90 deg for perpendicular, with the
  default placement error (:class:`rhizo.planning.PlacementError`) and the
  Tew 2015 lesion-size spread;
- capture is the planner's criterion: at least
  :data:`rhizo.planning.MIN_CAPTURED_LENGTH_MM` (3 mm) of nerve with its whole
  cross-section coagulated;
- :data:`SAMPLES` = 2,000 Monte Carlo placements with the fixed seed
  :data:`SEED` = 0, so the stored number is reproducible: the probability is
  ``k / 2000`` (Wilson 95 % half-width at most 2.2 percentage points) and the
  expected coagulated length is the mean over the samples (mm).

The answer is cached in-process by the parameter tuple (:func:`predict_inputs`,
an LRU): the same parameters give the same stored number without simulating
again. A lesion not performed, with a parameter missing, a nerve the planner
does not model, an oblique placement (its angle is not recorded) or a setting
outside the engine's range gets no prediction and a ``note`` saying why; a
failure inside the planner becomes a note too, never an error that blocks
recording.

It is a model estimate, not a measurement (:data:`CAVEAT`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from rhizo.clinic.procedure.models import (
    PREDICTION_MODEL_LENGTH,
    PREDICTION_NOTE_LENGTH,
    Lesion,
    LesionCreate,
)

if TYPE_CHECKING:
    from rhizo.planning import Nerve

LOG = logging.getLogger(__name__)

#: Monte Carlo placements per prediction and the fixed seed (reproducible numbers).
SAMPLES = 2000
SEED = 0
#: Version of the record link's model: bump it when the way a prediction is made changes.
MODEL_VERSION = "capture-v1"
#: Cannula angle to the nerve for each recorded placement (degrees); oblique has none.
PLACEMENT_ANGLE_DEG: dict[str, float] = {"parallel": 0.0, "perpendicular": 90.0}
#: Shown beside every prediction.
CAVEAT = "a model estimate, not a measurement"
#: Longest stored note and model name (the columns' lengths).
NOTE_LENGTH = PREDICTION_NOTE_LENGTH
MODEL_LENGTH = PREDICTION_MODEL_LENGTH


@dataclass(frozen=True)
class PredictionInputs:
    """The parameter tuple a prediction depends on (the cache key)."""

    nerve: str
    gauge: int
    tip_length_mm: float
    set_temperature_c: float
    duration_s: float
    placement: str


@dataclass(frozen=True)
class LesionPrediction:
    """Predicted capture of one lesion, or why there is none."""

    capture_probability: float | None = None
    coagulated_length_mm: float | None = None
    model: str | None = None
    note: str | None = None


@lru_cache(maxsize=1)
def nerves() -> dict[str, Nerve]:
    """Every nerve the planner models, by lower-case name ("l4 medial branch", ...).

    The planner is imported here, on first use, so that loading the clinic's models
    does not load the lesion engine.
    """
    from rhizo.planning import JOINTS

    found: dict[str, Nerve] = {}
    for joint in JOINTS.values():
        for nerve in joint.nerves:
            found.setdefault(nerve.name.lower(), nerve)
    return found


def known_nerve(target_nerve: str) -> str | None:
    """The planner's name of a recorded target nerve ("L4 medial branch"), or None."""
    nerve = nerves().get(" ".join(target_nerve.split()).lower())
    return None if nerve is None else nerve.name


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """First 8 hex digits of SHA-256 over the lesion engine's source hash and the path and
    bytes of every .py file of rhizo.planning: any code change that could move a
    prediction changes the model name, even when nobody bumps :data:`MODEL_VERSION`."""
    import rhizo.planning
    from rhizo.physics.surrogate_cache import physics_source_hash

    package = Path(rhizo.planning.__file__).resolve().parent
    digest = hashlib.sha256(physics_source_hash().encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


def model_name(engine: str) -> str:
    """Short version string: model version and code fingerprint, tissue, criterion,
    engine, samples, seed."""
    from rhizo.physics import CLINICAL_TISSUE
    from rhizo.planning import MIN_CAPTURED_LENGTH_MM

    return (
        f"{MODEL_VERSION}+{code_fingerprint()} {CLINICAL_TISSUE} "
        f"whole-nerve>={MIN_CAPTURED_LENGTH_MM:g}mm {engine} n{SAMPLES} seed{SEED}"
    )[:MODEL_LENGTH]


def inputs_for(
    *,
    target_nerve: str,
    performed: bool,
    gauge: int | None,
    tip_length_mm: float | None,
    set_temperature_c: float | None,
    duration_s: float | None,
    placement: str | None,
) -> PredictionInputs | str:
    """The prediction's parameter tuple, or the reason there can be no prediction."""
    if not performed:
        return "no prediction: the lesion was not performed"
    given = {
        "gauge": gauge,
        "tip_length_mm": tip_length_mm,
        "set_temperature_c": set_temperature_c,
        "duration_s": duration_s,
        "placement": placement,
    }
    if (
        gauge is None
        or tip_length_mm is None
        or set_temperature_c is None
        or duration_s is None
        or placement is None
    ):
        missing = [name for name, value in given.items() if value is None]
        return f"no prediction: not recorded: {', '.join(missing)}"
    nerve = " ".join(target_nerve.split()).lower()
    if nerve not in nerves():
        return (
            f"no prediction: the planner does not model the nerve {target_nerve!r} "
            "(it models lumbar and cervical medial branches, the L5 dorsal ramus and the "
            "third occipital nerve)"
        )
    if placement not in PLACEMENT_ANGLE_DEG:
        return f"no prediction: a {placement} placement has no recorded angle to the nerve"
    from rhizo.physics import GAUGE_OUTER_DIAMETER_MM

    if gauge not in GAUGE_OUTER_DIAMETER_MM:
        allowed = ", ".join(f"{g} G" for g in GAUGE_OUTER_DIAMETER_MM)
        return f"no prediction: the lesion engine has no {gauge} G cannula ({allowed})"
    return PredictionInputs(
        nerve=nerve,
        gauge=gauge,
        tip_length_mm=float(tip_length_mm),
        set_temperature_c=float(set_temperature_c),
        duration_s=float(duration_s),
        placement=placement,
    )


@lru_cache(maxsize=512)
def predict_inputs(inputs: PredictionInputs) -> LesionPrediction:
    """The planner's prediction for one parameter tuple (cached; never raises)."""
    from rhizo.planning import CannulaPlacement, estimate_capture, lesion_for
    from rhizo.planning.lesions import planner_protocol

    try:
        protocol = planner_protocol(
            gauge=inputs.gauge,
            tip_length_mm=inputs.tip_length_mm,
            set_temperature_c=inputs.set_temperature_c,
            duration_s=inputs.duration_s,
        )
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        reason = "; ".join(str(error).splitlines()[1:3]).strip() or str(error)
        return LesionPrediction(note=f"no prediction: outside the lesion engine's range: {reason}")
    try:
        profile = lesion_for(protocol)
        estimate = estimate_capture(
            profile,
            nerves()[inputs.nerve],
            CannulaPlacement(angle_deg=PLACEMENT_ANGLE_DEG[inputs.placement]),
            samples=SAMPLES,
            seed=SEED,
        )
    except Exception as error:  # a planner failure must never block recording the lesion
        LOG.exception("lesion prediction failed for %s", inputs)
        return LesionPrediction(note=f"no prediction: the planner failed ({type(error).__name__})")
    return LesionPrediction(
        capture_probability=estimate.capture_probability,
        coagulated_length_mm=round(estimate.mean_captured_length_mm, 3),
        model=model_name(profile.source),
    )


def predict(
    *,
    target_nerve: str,
    performed: bool,
    gauge: int | None,
    tip_length_mm: float | None,
    set_temperature_c: float | None,
    duration_s: float | None,
    placement: str | None,
) -> LesionPrediction:
    """Predicted capture of one recorded lesion, or a note saying why there is none."""
    inputs = inputs_for(
        target_nerve=target_nerve,
        performed=performed,
        gauge=gauge,
        tip_length_mm=tip_length_mm,
        set_temperature_c=set_temperature_c,
        duration_s=duration_s,
        placement=placement,
    )
    if isinstance(inputs, str):
        return LesionPrediction(note=inputs[:NOTE_LENGTH])
    found = predict_inputs(inputs)
    if found.note is not None:
        return LesionPrediction(note=found.note[:NOTE_LENGTH])
    return found


def for_lesion(lesion: LesionCreate) -> LesionPrediction:
    """:func:`predict` for a lesion as recorded."""
    return predict(
        target_nerve=lesion.target_nerve,
        performed=lesion.performed,
        gauge=lesion.gauge,
        tip_length_mm=lesion.tip_length_mm,
        set_temperature_c=lesion.set_temperature_c,
        duration_s=lesion.duration_s,
        placement=None if lesion.placement is None else lesion.placement.value,
    )


def describe(
    capture_probability: float | None,
    coagulated_length_mm: float | None,
    model: str | None,
    note: str | None,
) -> str:
    """One line for pages: "predicted capture 93 % (...; a model estimate, not a measurement)"."""
    if capture_probability is None:
        return note or "no capture prediction"
    length = (
        f", expected coagulated nerve {coagulated_length_mm:.1f} mm"
        if coagulated_length_mm is not None
        else ""
    )
    return f"predicted capture {100 * capture_probability:.0f} %{length} (model {model}; {CAVEAT})"


def predicted_capture_line(lesion: Lesion) -> str:
    """:func:`describe` of a stored lesion (the patient page's procedure section)."""
    return describe(
        lesion.predicted_capture_probability,
        lesion.predicted_coagulated_length_mm,
        lesion.prediction_model,
        lesion.prediction_note,
    )


@dataclass(frozen=True)
class JointCapture:
    """A procedure's predicted probability that every nerve it targeted was captured."""

    probability: float
    #: The conservative envelope: the product of the nerves' Wilson 95 % bounds.
    ci95: tuple[float, float]
    nerves: int


def procedure_joint_capture(lesions: Iterable[tuple[str, float]]) -> JointCapture:
    """P(every targeted nerve captured) from the performed lesions' (target nerve,
    predicted capture).

    Per nerve (names compared without case or spacing) the best of its lesions
    (:func:`rhizo.planning.joint.nerve_capture_floor`: a lower bound on P(at least
    one of them captures), since two lesions on one nerve share its anatomy); the
    nerves multiply (separate placements, independent:
    :func:`rhizo.planning.joint.joint_capture_of`), each with the Wilson interval of
    its stored ``k / SAMPLES``. No lesions: probability 1 of 0 nerves.
    """
    from rhizo.planning.joint import joint_capture_of, nerve_capture_floor
    from rhizo.stats import wilson_interval

    best = nerve_capture_floor((" ".join(name.split()).lower(), p) for name, p in lesions)
    probability, ci95 = joint_capture_of(
        [(p, wilson_interval(round(p * SAMPLES), SAMPLES)) for p in best.values()]
    )
    return JointCapture(probability=probability, ci95=ci95, nerves=len(best))


#: Cut points of the Outcomes page's capture bands, applied to a procedure's joint
#: predicted capture (:func:`procedure_joint_capture`): rhizo's own round numbers
#: (no source sets them).
CAPTURE_BAND_EDGES = (0.5, 0.8)
CAPTURE_BAND_LABELS = (
    "predicted capture below 50 %",
    "predicted capture 50-79 %",
    "predicted capture 80 % or more",
)
NO_PREDICTION_BAND = "no capture prediction"


def capture_bands(lowest: NDArray[np.float64]) -> NDArray[np.str_]:
    """Band label of each procedure's joint predicted capture (NaN: no prediction).

    ``p < 0.5`` -> below 50 %; ``0.5 <= p < 0.8`` -> 50-79 %; ``p >= 0.8`` -> 80 % or more.
    """
    index = np.searchsorted(np.asarray(CAPTURE_BAND_EDGES), lowest, side="right")
    labels = np.asarray(CAPTURE_BAND_LABELS, dtype=np.str_)[np.minimum(index, 2)]
    return np.where(np.isnan(lowest), NO_PREDICTION_BAND, labels).astype(np.str_)

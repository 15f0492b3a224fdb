"""rhizo.planning: will a lesion coagulate the target nerve, and how likely (docs/planning.md).

- :mod:`~rhizo.planning.anatomy` -- target nerves per joint, their course, size,
  variability and :data:`~rhizo.planning.anatomy.SOURCES`;
- :mod:`~rhizo.planning.placement` -- cannula pose relative to the nerve, errors;
- :mod:`~rhizo.planning.lesions` -- the lesion radius profile, one simulation per setting;
- :mod:`~rhizo.planning.capture` -- captured length of nerve (geometry);
- :mod:`~rhizo.planning.montecarlo` -- capture probability with a Wilson 95 % interval;
- :mod:`~rhizo.planning.recommend` -- candidate settings ranked by capture probability.

Uses :mod:`rhizo.physics` and :mod:`rhizo.stats`; never plots, clinic or cli.
"""

from rhizo.planning.anatomy import JOINTS, SOURCES, Joint, Nerve, PlannerSource, get_joint
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM, captured_length_m
from rhizo.planning.lesions import LesionProfile, lesion_for
from rhizo.planning.montecarlo import (
    CaptureEstimate,
    estimate_capture,
    planned_captured_length_mm,
)
from rhizo.planning.placement import CannulaPlacement, PlacementError, sample_poses
from rhizo.stats import wilson_interval

__all__ = [
    "JOINTS",
    "MIN_CAPTURED_LENGTH_MM",
    "SOURCES",
    "CannulaPlacement",
    "CaptureEstimate",
    "Joint",
    "LesionProfile",
    "Nerve",
    "PlacementError",
    "PlannerSource",
    "captured_length_m",
    "estimate_capture",
    "get_joint",
    "lesion_for",
    "planned_captured_length_mm",
    "sample_poses",
    "wilson_interval",
]

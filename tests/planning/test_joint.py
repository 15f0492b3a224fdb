"""Joint capture: every nerve captured (issue 17), one definition for ranking and record.

Hand-worked products; the procedure's joint capture takes the best lesion per
nerve (names compared without case or spacing) and the stored k / 2000 Wilson
bounds; values outside [0, 1] and NaN are refused with the value named.
"""

from __future__ import annotations

import math

import pytest

from rhizo.clinic.procedure.prediction import SAMPLES, procedure_joint_capture
from rhizo.planning.joint import joint_capture_of, nerve_capture_floor
from rhizo.stats import wilson_interval


def test_product_of_probabilities_and_of_bounds() -> None:
    p, (low, high) = joint_capture_of([(0.9, (0.8, 0.95)), (0.5, (0.4, 0.6))])
    assert p == pytest.approx(0.45, abs=1e-15)
    assert low == pytest.approx(0.32, abs=1e-15)
    assert high == pytest.approx(0.57, abs=1e-15)
    assert joint_capture_of([]) == (1.0, (1.0, 1.0))
    assert joint_capture_of([(0.0, (0.0, 0.1)), (1.0, (0.9, 1.0))])[0] == 0.0


@pytest.mark.parametrize("bad", [-1e-12, 1.0 + 1e-12, math.nan, math.inf])
def test_probabilities_outside_0_1_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="allowed a probability in"):
        joint_capture_of([(bad, (0.0, 1.0))])
    with pytest.raises(ValueError, match="allowed"):
        nerve_capture_floor([("L4 medial branch", bad)])


def test_best_lesion_per_nerve() -> None:
    best = nerve_capture_floor([("a", 0.3), ("b", 0.7), ("a", 0.9), ("a", 0.5)])
    assert dict(best) == {"a": 0.9, "b": 0.7}


def test_procedure_joint_capture_by_hand() -> None:
    joint = procedure_joint_capture(
        [
            ("L3 medial branch", 0.9),
            ("l3   MEDIAL branch", 0.95),  # the same nerve written differently: best counts
            ("L4 medial branch", 0.8),
        ]
    )
    assert joint.nerves == 2
    assert joint.probability == pytest.approx(0.95 * 0.8, rel=1e-12)
    l3, l4 = wilson_interval(1900, SAMPLES), wilson_interval(1600, SAMPLES)
    assert joint.ci95[0] == pytest.approx(l3[0] * l4[0], rel=1e-12)
    assert joint.ci95[1] == pytest.approx(l3[1] * l4[1], rel=1e-12)
    assert joint.ci95[0] < joint.probability < joint.ci95[1]
    assert procedure_joint_capture([]).probability == 1.0

"""The Outcomes grouping by predicted capture band (issue 17, the record link).

A procedure's band is that of its joint predicted capture: the probability that
every nerve it targeted was captured, the best lesion per nerve (names compared
without case or spacing) multiplied over the nerves; a procedure with a
performed lesion that has no prediction is "no capture prediction". Checked on
the hand-worked cohort of ``test_durability`` (its five assessable courses),
against products worked by hand, the lowest lesion capture against a Python
min, and the band edges at, just below and just above 50 % and 80 %.
"""

from __future__ import annotations

import math
from datetime import UTC
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session
from tests.clinic.test_durability import AS_OF, cohort

from rhizo.clinic.outcomes.durability import Grouping, analyse
from rhizo.clinic.outcomes.snapshot import compute_snapshot
from rhizo.clinic.procedure.models import Lesion, LesionSide
from rhizo.clinic.procedure.prediction import (
    CAPTURE_BAND_LABELS,
    NO_PREDICTION_BAND,
    capture_bands,
)

__all__ = ["cohort"]  # the fixture, shared with test_durability

BELOW, MIDDLE, HIGH = CAPTURE_BAND_LABELS


@pytest.mark.parametrize(
    ("lowest", "band"),
    [
        (0.0, BELOW),
        (0.4999, BELOW),
        (0.5, MIDDLE),
        (0.5001, MIDDLE),
        (0.7999, MIDDLE),
        (0.8, HIGH),
        (0.8001, HIGH),
        (1.0, HIGH),
        (math.nan, NO_PREDICTION_BAND),
    ],
)
def test_band_edges(lowest: float, band: str) -> None:
    assert capture_bands(np.array([lowest]))[0] == band


def _lesions(
    session: Session, procedure_id: int, given: list[tuple[str, bool, float | None]]
) -> None:
    for ordinal, (nerve, performed, probability) in enumerate(given, start=1):
        session.add(
            Lesion(
                procedure_id=procedure_id,
                ordinal=ordinal,
                target_nerve=nerve,
                side=LesionSide.RIGHT,
                performed=performed,
                local_anaesthetic_given=True,
                gate_proceed=True,
                gate_findings=[],
                predicted_capture_probability=probability,
            )
        )
    session.commit()


L3, L4 = "L3 medial branch", "L4 medial branch"
LESIONS: dict[str, list[tuple[str, bool, float | None]]] = {
    # L3 twice (0.9 and 0.95, written differently: the best counts) and L4 0.9:
    # 0.95 x 0.9 = 0.855, 80 % or more
    "lost": [(L3, True, 0.9), ("l3  Medial Branch", True, 0.95), (L4, True, 0.9)],
    # both lesions >= 60 % but together 0.6 x 0.7 = 0.42: below 50 %
    "never": [(L3, True, 0.6), (L4, True, 0.7)],
    "holding": [(L4, True, 0.5)],  # exactly 50 %: 50-79 %
    "short": [(L4, True, 0.85), (L3, True, None)],  # a performed lesion without: none
    "repeat": [(L4, False, None), (L4, True, 0.7999)],  # the unperformed one does not count
}
#: By hand: the best lesion per nerve, multiplied over the nerves.
JOINT = {
    "lost": 0.95 * 0.9,
    "never": 0.6 * 0.7,
    "holding": 0.5,
    "short": math.nan,
    "repeat": 0.7999,
}


def test_procedures_are_grouped_by_their_joint_predicted_capture(
    session: Session, cohort: dict[str, Any]
) -> None:
    ids = cohort["ids"]
    for name, given in LESIONS.items():
        _lesions(session, ids[name], given)
    snapshot = compute_snapshot(session=session, as_of=AS_OF, zone=UTC)
    rows = snapshot.rows
    lowest = dict(zip(rows.procedure_id.tolist(), rows.lowest_capture.tolist(), strict=True))
    joint = dict(zip(rows.procedure_id.tolist(), rows.joint_capture.tolist(), strict=True))
    for name, given in LESIONS.items():
        performed = [p for _, done, p in given if done]
        expected = math.nan if None in performed else min(p for p in performed if p is not None)
        found = lowest[ids[name]]
        assert (math.isnan(found) and math.isnan(expected)) or found == expected, name
        if math.isnan(JOINT[name]):
            assert math.isnan(joint[ids[name]]), name
        else:
            assert joint[ids[name]] == pytest.approx(JOINT[name], rel=1e-12), name
    report = analyse(snapshot, grouping=Grouping.CAPTURE, performer_names={})
    assert report is not None
    assert {g.key: g.courses for g in report.groups} == {
        HIGH: 1,
        BELOW: 1,
        MIDDLE: 2,
        NO_PREDICTION_BAND: 1,
    }
    assert sum(g.courses for g in report.groups) == report.overall.courses

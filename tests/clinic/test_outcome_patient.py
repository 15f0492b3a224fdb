"""One patient's outcome figures (outcomes.patient) equal the registry snapshot's, per procedure.

Random patients with repeat procedures (some cancelled), linked and diary
scores, blocks, on SQLite and PostgreSQL, in New York time: the per-patient
function (the pathway's definitions called on one record's rows) and the
vectorised snapshot must give every procedure the same clinic day, baseline,
course and review statuses.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session
from tests.clinic.factories import make_patient, make_specialist

from rhizo.clinic.block.models import BlockAgent, BlockType, DiagnosticBlock
from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.outcomes import arrays
from rhizo.clinic.outcomes.patient import procedure_outcomes
from rhizo.clinic.outcomes.snapshot import REVIEW_MONTHS, compute_snapshot
from rhizo.clinic.plan.models import Sedation
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus, Technique

ZONE = ZoneInfo("America/New_York")
AS_OF = date(2026, 3, 1)


def test_patient_outcomes_equal_the_snapshot(session: Session) -> None:
    rng = random.Random(13)
    performer = make_specialist(session).id
    patients = []
    for _ in range(25):
        patient = make_patient(session)
        patients.append(patient.id)
        start = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randrange(0, 16000))
        for _ in range(rng.randrange(0, 3)):
            session.add(
                DiagnosticBlock(
                    patient_id=patient.id,
                    performed_on=start.date() - timedelta(days=rng.randrange(-30, 90)),
                    block_type=BlockType.MEDIAL_BRANCH,
                    levels=["L4-L5"],
                    side=Side.RIGHT,
                    agent=BlockAgent.LIDOCAINE,
                    volume_ml=0.5,
                    baseline_nrs=rng.choice([None, 0, 6, 8]),
                    relief_percent=rng.choice([40, 50, 90]),
                )
            )
        ids = []
        for k in range(rng.randrange(1, 4)):
            procedure = Procedure(
                patient_id=patient.id,
                performer_id=performer,
                # Repeats months apart, some on the same day; times across midnight.
                performed_at=start + timedelta(days=rng.choice([0, 0, 120, 200]) * k),
                technique=Technique.CONVENTIONAL,
                region=Region.LUMBAR,
                side=Side.RIGHT,
                levels=["L4-L5"],
                sedation=Sedation.NONE,
                status=rng.choice([ProcedureStatus.COMPLETED] * 4 + [ProcedureStatus.CANCELLED]),
            )
            session.add(procedure)
            session.flush()
            ids.append(procedure.id)
        for _ in range(rng.randrange(0, 9)):
            on = start.date() + timedelta(days=rng.randrange(-60, 500))
            session.add(
                FollowUp(
                    patient_id=patient.id,
                    procedure_id=rng.choice([None, None, *ids]),
                    followed_on=on,
                    nrs=rng.randrange(0, 11),
                    source=FollowUpSource.DIARY,
                )
            )
    session.commit()

    snapshot = compute_snapshot(session=session, as_of=AS_OF, zone=ZONE)
    rows = snapshot.rows
    compared = 0
    for patient_id in patients:
        outcomes = procedure_outcomes(
            procedures=session.scalars(
                sa.select(Procedure).where(Procedure.patient_id == patient_id)
            ),
            followups=session.scalars(sa.select(FollowUp).where(FollowUp.patient_id == patient_id)),
            blocks=session.scalars(
                sa.select(DiagnosticBlock).where(DiagnosticBlock.patient_id == patient_id)
            ),
            zone=ZONE,
            as_of=AS_OF,
        )
        in_snapshot = {
            int(rows.procedure_id[i]): i for i in (rows.patient_id == patient_id).nonzero()[0]
        }
        assert set(outcomes) == set(in_snapshot)
        for pid, outcome in outcomes.items():
            i = in_snapshot[pid]
            assert outcome.day.toordinal() == rows.day[i]
            assert (outcome.baseline.nrs if outcome.baseline else -1) == rows.baseline[i]
            course = outcome.course
            assert (course is not None) == bool(snapshot.courses.assessable[i])
            if course is not None:
                assert course.event_on.toordinal() == snapshot.courses.event_day[i]
                assert course.ended == snapshot.courses.ended[i]
                assert course.relieved == snapshot.courses.relieved[i]
            for months, review in zip(REVIEW_MONTHS, outcome.reviews, strict=True):
                status = snapshot.review(months).status[i]
                assert review.status == arrays.STATUS_NAMES[status]
            compared += 1
    assert compared >= 30

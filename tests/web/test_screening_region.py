"""The patient page screens under the guideline of the patient's region (issue 14).

Built from unsaved rows (no database): a record's region comes from its
condition; lumbar gets Cohen 2020 (asra-2020), cervical Hurley 2022
(cervical-2022), thoracic no guideline. Chronicity is the condition's onset:
pain for 8 weeks is under the 3 months (13.0 weeks) both guidelines ask for.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from rhizo.clinic.block.models import BlockAgent, BlockType, DiagnosticBlock
from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.condition.models import CareModality, CareTrial, Condition
from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus
from rhizo.clinic.web.record import record_page, screen
from rhizo.pathway.candidacy import Screening, Verdict

TODAY = date(2026, 11, 30)


def _record(region: Region, *, weeks_of_pain: int, relief: int = 80) -> PatientRecord:
    patient = Patient(id=1, birth_date=date(1960, 5, 1))
    onset = TODAY - timedelta(weeks=weeks_of_pain)
    condition = Condition(
        id=1,
        patient_id=1,
        icd10_code="M47.816",
        description="facet pain",
        onset_date=onset,
        region=region,
    )
    care = CareTrial(
        id=1,
        patient_id=1,
        modality=CareModality.PHYSIOTHERAPY,
        start_date=TODAY - timedelta(weeks=20),
        end_date=TODAY - timedelta(weeks=4),
    )
    block = DiagnosticBlock(
        id=1,
        patient_id=1,
        performed_on=TODAY - timedelta(weeks=2),
        block_type=BlockType.MEDIAL_BRANCH,
        levels=["L4-L5"],
        side=Side.LEFT,
        agent=next(iter(BlockAgent)),
        volume_ml=0.5,
        relief_percent=relief,
    )
    return PatientRecord(
        patient=patient,
        conditions=(condition,),
        care_trials=(care,),
        blocks=(block,),
        medications=(),
        plans=(),
        procedures=(),
        discharges=(),
        followups=(),
        complications=(),
    )


def _screen(region: Region, **kwargs: int) -> Screening:
    result = screen(record_page(_record(region, **kwargs), today=TODAY), TODAY)
    assert isinstance(result, Screening), result
    return result


@pytest.mark.parametrize(
    ("region", "policy", "verdict"),
    [
        (Region.LUMBAR, "asra-2020", Verdict.CANDIDATE),
        (Region.CERVICAL, "cervical-2022", Verdict.CANDIDATE),
        (Region.THORACIC, None, Verdict.NO_GUIDELINE),
    ],
)
def test_the_page_uses_the_region_guideline(
    region: Region, policy: str | None, verdict: Verdict
) -> None:
    result = _screen(region, weeks_of_pain=30)
    assert (result.policy, result.verdict) == (policy, verdict)


def test_cervical_pain_of_eight_weeks_is_not_yet_on_the_page() -> None:
    assert _screen(Region.CERVICAL, weeks_of_pain=8).verdict is Verdict.NOT_YET


def test_a_50_percent_block_differs_by_region() -> None:
    # Cohen 2020 Table 11: >= 50 %; Hurley 2022 Table 22: > 50 %.
    assert _screen(Region.LUMBAR, weeks_of_pain=30, relief=50).verdict is Verdict.CANDIDATE
    assert _screen(Region.CERVICAL, weeks_of_pain=30, relief=50).verdict is Verdict.NOT_CANDIDATE


def _repeat_record(scores: list[tuple[date, int]]) -> PatientRecord:
    base = _record(Region.LUMBAR, weeks_of_pain=104)
    procedure = Procedure(
        id=1,
        patient_id=1,
        performed_at=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
        region=Region.LUMBAR,
        status=ProcedureStatus.COMPLETED,
        lesions=[],
    )
    baseline = FollowUp(
        id=1,
        patient_id=1,
        procedure_id=None,
        followed_on=date(2026, 5, 25),
        nrs=8,
        source=FollowUpSource.CLINIC,
    )
    after = [
        FollowUp(
            id=2 + n,
            patient_id=1,
            procedure_id=1,
            followed_on=on,
            nrs=nrs,
            source=FollowUpSource.CLINIC,
        )
        for n, (on, nrs) in enumerate(scores)
    ]
    return replace(base, procedures=(procedure,), followups=(baseline, *after))


def _repeat(scores: list[tuple[date, int]]) -> Screening:
    result = screen(record_page(_repeat_record(scores), today=TODAY), TODAY)
    assert isinstance(result, Screening), result
    assert result.repeat_treatment
    return result


def test_the_page_knows_when_the_pain_has_returned() -> None:
    # Baseline NRS 8; 2 is 75 % relief (> 30 %, still relieved); 7 is 12.5 % (pain back).
    relieved = [(date(2026, 7, 1), 2), (date(2026, 9, 15), 2)]
    ongoing = _repeat(relieved)
    reason = next(r for r in ongoing.reasons if r.rule == "pain-returned")
    assert (ongoing.verdict, reason.effect) == (Verdict.NOT_YET, "not_yet")
    assert "ongoing" in reason.message
    back = _repeat([*relieved, (date(2026, 11, 20), 7)])
    assert back.verdict is Verdict.CANDIDATE, [r.message for r in back.reasons]


def test_no_score_after_the_rf_asks_to_confirm() -> None:
    result = _repeat([])
    reason = next(r for r in result.reasons if r.rule == "pain-returned")
    assert "Confirm" in reason.message

"""Candidacy on the patient page tells the truth (issue 16).

Built from unsaved rows (no database), lumbar (Cohen 2020, policy ``asra-2020``),
whose repeat row is Hurley 2022 Table 22: > 30 % relief for at least 3 months,
counted in calendar months (:func:`rhizo.pathway.dates.months_after`). The
reference dates are counted by hand on the calendar: an RF on 30 August 2026
has its 3-month review on 30 November 2026; one on 30 November 2026 on
28 February 2027 (clamped at the month's end).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from jinja2 import Environment, FileSystemLoader

from rhizo.clinic.block.models import BlockAgent, BlockType, DiagnosticBlock
from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.condition.models import CareModality, CareTrial, Condition
from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus
from rhizo.clinic.web import record as record_module
from rhizo.clinic.web.record import record_page, screen, screening_blocks, screening_input
from rhizo.pathway.candidacy import Reason, Screening, Verdict

RF_DAY = date(2026, 8, 30)
REVIEW_DUE = date(2026, 11, 30)  # 30 Aug + 3 calendar months


def _block(
    n: int, relief: float, *, kind: BlockType = BlockType.MEDIAL_BRANCH, baseline: int | None = 7
) -> DiagnosticBlock:
    return DiagnosticBlock(
        id=n,
        patient_id=1,
        performed_on=date(2026, 5, 1) + timedelta(days=14 * n),
        block_type=kind,
        levels=["L4-L5"],
        side=Side.LEFT,
        agent=BlockAgent.LIDOCAINE,
        volume_ml=0.5,
        baseline_nrs=baseline,
        relief_percent=relief,
    )


def _record(
    *,
    onset: date = date(2024, 1, 1),
    region: Region = Region.LUMBAR,
    blocks: tuple[DiagnosticBlock, ...] | None = None,
) -> PatientRecord:
    return PatientRecord(
        patient=Patient(id=1, birth_date=date(1960, 5, 1)),
        conditions=(
            Condition(
                id=1,
                patient_id=1,
                icd10_code="M47.816",
                description="facet pain",
                onset_date=onset,
                region=region,
            ),
        ),
        care_trials=(
            CareTrial(
                id=1,
                patient_id=1,
                modality=CareModality.PHYSIOTHERAPY,
                start_date=date(2025, 1, 1),
                end_date=date(2025, 6, 1),
            ),
        ),
        blocks=(_block(1, 90),) if blocks is None else blocks,
        medications=(),
        plans=(),
        procedures=(),
        discharges=(),
        followups=(),
        complications=(),
    )


def _with_rf(
    rf_day: date,
    after: list[tuple[date, int]],
    *,
    baseline: int | None = 8,
    blocks: tuple[DiagnosticBlock, ...] | None = None,
) -> PatientRecord:
    procedure = Procedure(
        id=1,
        patient_id=1,
        performed_at=datetime.combine(rf_day, datetime.min.time(), tzinfo=UTC).replace(hour=9),
        region=Region.LUMBAR,
        status=ProcedureStatus.COMPLETED,
        lesions=[],
    )
    before = (
        []
        if baseline is None
        else [(rf_day - timedelta(days=5), baseline, None)]  # the pre-RF score: the baseline
    )
    rows = [*before, *((on, nrs, 1) for on, nrs in after)]
    followups = tuple(
        FollowUp(
            id=n + 1,
            patient_id=1,
            procedure_id=pid,
            followed_on=on,
            nrs=nrs,
            source=FollowUpSource.CLINIC,
        )
        for n, (on, nrs, pid) in enumerate(rows)
    )
    return replace(_record(blocks=blocks), procedures=(procedure,), followups=followups)


def _screen(record: PatientRecord, today: date) -> Screening:
    result = screen(record_page(record, today=today), today)
    assert isinstance(result, Screening), result
    return result


def _reason(result: Screening, rule: str) -> Reason:
    return next(r for r in result.reasons if r.rule == rule)


# 1. No review yet is not a failure.


def test_an_rf_recorded_today_is_too_early_to_judge() -> None:
    today = date(2026, 11, 30)
    result = _screen(_with_rf(today, []), today)
    response = _reason(result, "repeat-response")
    assert response.effect == "not_yet"
    # 30 Nov 2026 + 3 calendar months: 30 Feb does not exist, clamped to 28 Feb 2027.
    assert "Too early to judge the last RF: first review due 2027-02-28" in response.message
    assert "0 % relief" not in response.message
    assert result.verdict is Verdict.NOT_YET


def test_a_day_before_the_review_is_too_early() -> None:
    # Baseline 8; NRS 2 a month after the RF is 75 % relief (> 30 %, still relieved).
    result = _screen(_with_rf(RF_DAY, [(date(2026, 9, 30), 2)]), REVIEW_DUE - timedelta(days=1))
    response = _reason(result, "repeat-response")
    assert response.effect == "not_yet"
    assert "first review due 2026-11-30" in response.message
    assert result.verdict is Verdict.NOT_YET


def test_on_the_review_day_the_rule_is_judged() -> None:
    # The review on the day it is due: 75 % relief for 92 days (30 Aug to 30 Nov) meets
    # "> 30 % for 3 calendar months"; the pain has not come back, so not yet.
    scores = [(date(2026, 9, 30), 2), (REVIEW_DUE, 2)]
    result = _screen(_with_rf(RF_DAY, scores), REVIEW_DUE)
    response = _reason(result, "repeat-response")
    assert response.effect == "supports"
    assert response.message.startswith(
        "Last RF gave 75 % relief for about 13 weeks"
    )  # 92 / 7 = 13.14
    assert result.verdict is Verdict.NOT_YET
    # Without a score on that day the relief is only shown for a month: judged, too short.
    late = _screen(_with_rf(RF_DAY, scores[:1]), REVIEW_DUE)
    assert _reason(late, "repeat-response").effect == "not_candidate"
    assert late.verdict is Verdict.NOT_CANDIDATE


def test_pain_back_before_the_review_is_judged_at_once() -> None:
    # NRS 7 of baseline 8 is 12.5 % relief: the relief ended in the first month.
    scores = [(date(2026, 9, 15), 2), (date(2026, 10, 15), 7)]
    result = _screen(_with_rf(RF_DAY, scores), REVIEW_DUE - timedelta(days=1))
    assert _reason(result, "pain-returned").effect == "supports"
    response = _reason(result, "repeat-response")
    assert response.effect == "not_candidate"
    assert "Too early" not in response.message


# 2. Repeat only when the pain has returned (rhizo.pathway.returned: > 30 % of baseline).

TODAY = date(2027, 3, 1)
RELIEVED = [(date(2026, 9, 30), 1), (date(2026, 12, 1), 1)]  # 87.5 % of 8 for 3 months


@pytest.mark.parametrize(
    ("baseline", "latest", "returned"),
    [
        (8, 1, False),  # 87.5 % relief: NRS 1 is relief, never "pain back"
        (10, 6, False),  # 40 % relief: > 30 %, still relieved
        (10, 7, True),  # exactly 30 %: not > 30 %, the pain is back
        (10, 8, True),  # 20 %
    ],
)
def test_repeat_only_when_the_pain_has_returned(baseline: int, latest: int, returned: bool) -> None:
    relieved = [(on, round(baseline * 0.125)) for on, _ in RELIEVED]
    record = _with_rf(RF_DAY, [*relieved, (date(2027, 2, 20), latest)], baseline=baseline)
    page = record_page(record, today=TODAY)
    assert screening_input(page, TODAY).pain_returned is returned
    result = _screen(record, TODAY)
    assert (result.verdict is Verdict.CANDIDATE) is returned


def test_nrs_1_without_a_baseline_score_is_judged_from_the_block() -> None:
    # No score before the RF: the baseline is the positive block's pre-injection NRS 7;
    # NRS 1 after is 85.7 % relief: ongoing, not a repeat candidate.
    record = _with_rf(RF_DAY, [*RELIEVED, (date(2027, 2, 20), 1)], baseline=None)
    page = record_page(record, today=TODAY)
    assert page.baseline_for(RF_DAY) is not None
    assert page.baseline_for(RF_DAY).nrs == 7  # type: ignore[union-attr]
    assert screening_input(page, TODAY).pain_returned is False
    assert _screen(record, TODAY).verdict is Verdict.NOT_YET


def test_no_baseline_at_all_is_said_not_screened_as_first_treatment() -> None:
    # No score before the RF, a block without its pre-injection NRS: the RF's relief is
    # not known. Skipping it screened the patient as never treated: "CANDIDATE".
    blocks = (_block(1, 90, baseline=None),)
    record = _with_rf(RF_DAY, [*RELIEVED, (date(2027, 2, 20), 1)], baseline=None, blocks=blocks)
    page = record_page(record, today=TODAY)
    assert screening_input(page, TODAY).pain_returned is None
    result = screen(page, TODAY)
    assert isinstance(result, str)
    assert result.startswith("the last RF (2026-08-30) has no baseline NRS above 0")
    assert "90 days before it" in result


def test_pain_worse_than_baseline_is_zero_relief_not_an_error() -> None:
    # Baseline 6, NRS 8 after: -33.3 % "relief" used to stop the screening.
    record = _with_rf(RF_DAY, [(date(2026, 10, 1), 8), (date(2026, 12, 1), 8)], baseline=6)
    page = record_page(record, today=TODAY)
    assert [t.relief_percent for t in screening_input(page, TODAY).prior_rf] == [0.0]
    result = _screen(record, TODAY)
    assert _reason(result, "repeat-response").message.startswith("Last RF gave 0 % relief")
    assert result.verdict is Verdict.NOT_CANDIDATE


# 3. Every block shown, negative ones included.


def test_every_block_is_listed_with_its_result() -> None:
    blocks = (
        _block(1, 54),
        _block(2, 46),  # the negative confirmatory block
        _block(3, 50),  # exactly at Cohen 2020 Table 11's >= 50 %: positive
        _block(4, 90, kind=BlockType.INTRA_ARTICULAR),
    )
    rows = screening_blocks(record_page(_record(blocks=blocks), today=TODAY))
    assert [(r.relief_percent, r.result.split(" ")[0]) for r in rows] == [
        (54, "positive"),
        (46, "negative"),
        (50, "positive"),
        (90, "not"),
    ]
    assert rows[1].result == "negative (the cut-off is >= 50 %)"
    assert "46 % relief, from NRS 7" in rows[1].text


def test_the_block_cut_off_is_the_regions() -> None:
    # Hurley 2022 Table 22: > 50 % in the neck, so 50 % is negative there.
    cervical = _record(region=Region.CERVICAL, blocks=(_block(1, 50),))
    [row] = screening_blocks(record_page(cervical, today=TODAY))
    assert row.result == "negative (the cut-off is > 50 %)"
    thoracic = _record(region=Region.THORACIC, blocks=(_block(1, 50),))
    [row] = screening_blocks(record_page(thoracic, today=TODAY))
    assert row.result == "no guideline cut-off"


def test_the_screening_card_shows_the_negative_block() -> None:
    templates = Environment(
        loader=FileSystemLoader(record_module.__file__.rsplit("/", 1)[0] + "/templates"),
        autoescape=True,
    )
    blocks = (_block(1, 54), _block(2, 46))
    page = record_page(_record(blocks=blocks), today=TODAY)
    html = templates.get_template("_screening.html").render(
        screening=screen(page, TODAY), record=page
    )
    assert html.count('data-block-kind="medial_branch"') == 2
    assert "46 % relief, from NRS 7: <strong>negative (the cut-off is &gt;= 50 %)</strong>" in html


# 4. Durations rounded for people; the rule stays exact.


@pytest.mark.parametrize(
    ("days", "words", "effect"),
    [
        (1798, "Pain for about 5 years", "supports"),  # 256.857 weeks
        (91, "Pain for 13 weeks", "supports"),  # exactly 3 months = 13.0 weeks
        (90, "Pain for about 13 weeks", "not_yet"),  # 12.857 weeks: under 13.0, not yet
    ],
)
def test_durations_read_rounded_and_the_rule_stays_exact(
    days: int, words: str, effect: str
) -> None:
    result = _screen(_record(onset=TODAY - timedelta(days=days)), TODAY)
    reason = _reason(result, "pain-duration")
    assert reason.message.startswith(words + ";"), reason.message
    assert reason.effect == effect
    assert not any("256.857" in r.message or ".857" in r.message for r in result.reasons)

"""Build the de-identified export; every exported patient leaves an audit row.

One builder (:func:`deidentified_case`) makes each patient's rows of every
table (:mod:`rhizo.clinic.research.models`); the API's JSON pages, the CSV and
the Parquet files (:mod:`rhizo.clinic.research.files`) are all made from its
:class:`DeidCase` objects, so the three carry the same columns and values.

The rows come from the one reader of a patient's whole record
(:func:`rhizo.clinic.chart.reader.load_records`). The export is *as of* the
clinic day ``today``: procedures whose clinic day
(:func:`rhizo.pathway.clinic_day.procedure_day`) is after it (and their
lesions and discharges) and follow-ups dated after it are left out, as the
outcome figures leave them out. The derived columns (baseline NRS, the score's
procedure, the review days) are the pathway's definitions
(:mod:`rhizo.pathway.baseline`, :mod:`rhizo.pathway.attribution`,
:mod:`rhizo.pathway.windows`), computed over the exported rows only.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, date, datetime, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.chart.reader import load_records
from rhizo.clinic.chart.record import PatientRecord
from rhizo.clinic.core import transactions
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.procedure import prediction
from rhizo.clinic.procedure.models import Lesion, Procedure, ProcedureStatus
from rhizo.clinic.research.models import (
    DeidCase,
    ResearchBlock,
    ResearchComplication,
    ResearchCondition,
    ResearchDischarge,
    ResearchFollowUp,
    ResearchLesion,
    ResearchProcedure,
)
from rhizo.pathway.attribution import assign_reviews
from rhizo.pathway.baseline import BlockReading, baseline_for_procedure
from rhizo.pathway.clinic_day import procedure_day
from rhizo.pathway.dates import months_after
from rhizo.pathway.windows import window_for

ENTITY = "deidentified_case"
AGE_POOL = 90
#: Patients read per batch by :func:`export_all` (eleven queries each, load_records).
BATCH = 500


def _keyed(text: str, key: str, digits: int) -> str:
    digest = hmac.new(key.encode(), text.encode(), hashlib.sha256)
    return digest.hexdigest()[:digits]


def research_id(patient_id: int, pseudonym_key: str) -> str:
    """A stable pseudonym: HMAC-SHA256 of ``patient:<id>`` under ``RHIZO_PSEUDONYM_KEY``
    (first 20 hex digits, 80 bits), which cannot be turned back into the id without
    that key. The key is not the token-signing key (:mod:`rhizo.clinic.core.config`)."""
    return _keyed(f"patient:{patient_id}", pseudonym_key, 20)


def performer_pseudonym(specialist_id: int, pseudonym_key: str) -> str:
    """The performing specialist's pseudonym: HMAC-SHA256 of ``specialist:<id>`` under
    the same key (first 16 hex digits): stable across exports, never the name."""
    return _keyed(f"specialist:{specialist_id}", pseudonym_key, 16)


def age_on(birth: date, day: date) -> int:
    """Age in whole years on ``day`` (a birthday counts from its date)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_band(age_years: int) -> str:
    """Ten-year band: ``'40-49'``; ``'90+'`` from :data:`AGE_POOL` (Safe Harbor's pool)."""
    if age_years >= AGE_POOL:
        return f"{AGE_POOL}+"
    low = max(age_years, 0) // 10 * 10
    return f"{low}-{low + 9}"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _joined(levels: list[str]) -> str:
    return ";".join(levels)


class _Days:
    """Dates as day offsets from the patient's anchor (day 0)."""

    def __init__(self, anchor: date) -> None:
        self.anchor = anchor

    def __call__(self, day: date) -> int:
        return (day - self.anchor).days

    def maybe(self, day: date | None) -> int | None:
        return None if day is None else self(day)


def _anchor(record: PatientRecord, procedure_days: list[date], today: date) -> date:
    if procedure_days:
        return min(procedure_days)
    dated = [b.performed_on for b in record.blocks]
    dated += [f.followed_on for f in record.followups if f.followed_on <= today]
    dated += [c.onset_date for c in record.complications]
    return min(dated or [today])


def deidentified_case(
    record: PatientRecord, *, pseudonym_key: str, today: date, zone: tzinfo
) -> DeidCase:
    """One patient's record as of the clinic day ``today``, de-identified (module docstring)."""
    patient = record.patient
    rid = research_id(patient.id, pseudonym_key)
    # Numbered over the whole record (so a follow-up linked to a later procedure keeps a
    # number that no exported procedure has, and counts in no course).
    number = {p.id: n for n, p in enumerate(record.procedures, start=1)}
    kept = [p for p in record.procedures if procedure_day(p.performed_at, zone) <= today]
    days_of = {p.id: procedure_day(p.performed_at, zone) for p in kept}
    followups = [f for f in record.followups if f.followed_on <= today]
    days = _Days(_anchor(record, list(days_of.values()), today))
    blocks = [BlockReading(b.performed_on, b.baseline_nrs, b.relief_percent) for b in record.blocks]
    scores = [(f.followed_on, f.nrs) for f in followups]
    completed = [
        (number[p.id], days_of[p.id]) for p in kept if p.status is ProcedureStatus.COMPLETED
    ]
    # The follow-up's index rides in the PGIC slot (assign_reviews passes it through
    # unread), so each follow-up is told the course it counts in.
    owned = assign_reviews(
        completed,
        [
            (f.followed_on, f.nrs, number.get(f.procedure_id) if f.procedure_id else None, i)
            for i, f in enumerate(followups)
        ],
    )
    owner = {index: no for no, items in owned.items() for _, _, index in items if index is not None}
    completed_day = dict(completed)
    age = age_on(patient.birth_date, today)
    return DeidCase(
        research_id=rid,
        birth_year=None if age >= AGE_POOL else patient.birth_date.year,
        age_90_or_over=age >= AGE_POOL,
        age_band=age_band(age),
        sex=patient.sex.value,
        synthetic=patient.synthetic,
        conditions=[
            ResearchCondition(
                research_id=rid,
                icd10_code=c.icd10_code,
                region=None if c.region is None else c.region.value,
                status=c.status.value,
                onset_day=days.maybe(c.onset_date),
            )
            for c in record.conditions
        ],
        blocks=[
            ResearchBlock(
                research_id=rid,
                block_no=n,
                day=days(b.performed_on),
                block_type=b.block_type.value,
                levels=_joined(b.levels),
                side=b.side.value,
                agent=b.agent.value,
                volume_ml=b.volume_ml,
                baseline_nrs=b.baseline_nrs,
                relief_percent=b.relief_percent,
                relief_hours=b.relief_hours,
            )
            for n, b in enumerate(record.blocks, start=1)
        ],
        procedures=[
            _procedure_row(
                p,
                rid=rid,
                number=number,
                day=days_of[p.id],
                days=days,
                today=today,
                scores=scores,
                blocks=blocks,
                pseudonym_key=pseudonym_key,
            )
            for p in kept
        ],
        lesions=[
            _lesion_row(lesion, rid=rid, procedure_no=number[p.id])
            for p in kept
            for lesion in p.lesions
        ],
        discharges=[
            ResearchDischarge(
                research_id=rid,
                procedure_no=number[d.procedure_id],
                minutes_after_start=round(
                    (_utc(d.discharged_at) - _utc(by_id.performed_at)).total_seconds() / 60
                ),
                disposition=d.disposition.value,
                nrs=d.nrs,
                escort_present=d.escort_present,
                instructions_given=d.instructions_given,
                new_deficit=d.new_deficit,
                escalation_kind=None if d.escalation_kind is None else d.escalation_kind.value,
            )
            for d in record.discharges
            for by_id in kept
            if by_id.id == d.procedure_id
        ],
        followups=[
            ResearchFollowUp(
                research_id=rid,
                followup_no=i + 1,
                day=days(f.followed_on),
                nrs=f.nrs,
                odi=f.odi,
                pgic=f.pgic,
                source=f.source.value,
                linked_procedure_no=None if f.procedure_id is None else number.get(f.procedure_id),
                procedure_no=owner.get(i),
                days_after_procedure=None
                if i not in owner
                else (f.followed_on - completed_day[owner[i]]).days,
            )
            for i, f in enumerate(followups)
        ],
        complications=[
            ResearchComplication(
                research_id=rid,
                procedure_no=None if c.procedure_id is None else number.get(c.procedure_id),
                day=days(c.onset_date),
                type=c.type.value,
                severity=c.severity.value,
                resolved_day=days.maybe(c.resolved_on),
            )
            for c in record.complications
        ],
    )


def _procedure_row(
    p: Procedure,
    *,
    rid: str,
    number: dict[int, int],
    day: date,
    days: _Days,
    today: date,
    scores: list[tuple[date, int]],
    blocks: list[BlockReading],
    pseudonym_key: str,
) -> ResearchProcedure:
    baseline = baseline_for_procedure(day=day, scores=scores, blocks=blocks)
    three, six = window_for(day, 3), window_for(day, 6)
    return ResearchProcedure(
        research_id=rid,
        procedure_no=number[p.id],
        day=days(day),
        status=p.status.value,
        technique=p.technique.value,
        region=p.region.value,
        side=p.side.value,
        levels=_joined(p.levels),
        sedation=p.sedation.value,
        performer=performer_pseudonym(p.performer_id, pseudonym_key),
        repeat_of_no=None if p.repeat_of_id is None else number.get(p.repeat_of_id),
        lesions_performed=sum(1 for lesion in p.lesions if lesion.performed),
        fluoroscopy_time_s=p.fluoroscopy_time_s,
        duration_min=p.duration_min,
        baseline_nrs=None if baseline is None else baseline.nrs,
        baseline_source=None if baseline is None else baseline.source,
        review_3m_day=days(months_after(day, 3)),
        review_6m_day=days(months_after(day, 6)),
        review_3m_closed=today > three.end,
        review_6m_closed=today > six.end,
    )


def _lesion_row(lesion: Lesion, *, rid: str, procedure_no: int) -> ResearchLesion:
    return ResearchLesion(
        research_id=rid,
        procedure_no=procedure_no,
        lesion_no=lesion.ordinal,
        target_nerve=prediction.known_nerve(lesion.target_nerve),
        side=lesion.side.value,
        performed=lesion.performed,
        gauge=lesion.gauge,
        tip_length_mm=lesion.tip_length_mm,
        set_temperature_c=lesion.set_temperature_c,
        duration_s=lesion.duration_s,
        placement=None if lesion.placement is None else lesion.placement.value,
        sensory_threshold_v=lesion.sensory_threshold_v,
        motor_test_voltage_v=lesion.motor_test_voltage_v,
        impedance_ohm=lesion.impedance_ohm,
        power_w=lesion.power_w,
        local_anaesthetic_given=lesion.local_anaesthetic_given,
        gate_proceed=lesion.gate_proceed,
        overridden=lesion.override_reason is not None,
        predicted_capture_probability=lesion.predicted_capture_probability,
        predicted_coagulated_length_mm=lesion.predicted_coagulated_length_mm,
        prediction_model=lesion.prediction_model,
        prediction_note=lesion.prediction_note,
    )


def _cases_audited(
    session: Session,
    *,
    actor: Actor,
    patient_ids: list[int],
    pseudonym_key: str,
    today: date,
    zone: tzinfo,
    details: dict[str, object] | None = None,
) -> list[DeidCase]:
    cases = []
    for record in load_records(session, patient_ids):
        cases.append(deidentified_case(record, pseudonym_key=pseudonym_key, today=today, zone=zone))
        audit.record(
            session=session,
            actor=actor,
            action=AuditAction.EXPORT,
            entity_type=ENTITY,
            entity_id=record.patient.id,
            patient_id=record.patient.id,
            details=details,
        )
    return cases


def export(
    *,
    session: Session,
    actor: Actor,
    pseudonym_key: str,
    limit: int,
    offset: int,
    today: date,
    zone: tzinfo,
) -> tuple[list[DeidCase], int]:
    """A page of de-identified cases, in a stable order (``zone``: the clinic's, whose
    calendar day a procedure counts from)."""
    with transactions.transaction(session):
        patients, total = transactions.page(
            session, sa.select(Patient).order_by(Patient.id), limit=limit, offset=offset
        )
        cases = _cases_audited(
            session,
            actor=actor,
            patient_ids=[p.id for p in patients],
            pseudonym_key=pseudonym_key,
            today=today,
            zone=zone,
        )
    return cases, total


def export_all(
    *,
    session: Session,
    actor: Actor,
    pseudonym_key: str,
    today: date,
    zone: tzinfo,
    file_format: str,
    batch: int = BATCH,
) -> list[DeidCase]:
    """Every patient's case, read ``batch`` patients at a time, in one transaction
    (each patient audited as an ``export`` with the file's format)."""
    with transactions.transaction(session):
        ids = list(session.scalars(sa.select(Patient.id).order_by(Patient.id)))
        cases: list[DeidCase] = []
        for chunk in _chunks(ids, batch):
            cases += _cases_audited(
                session,
                actor=actor,
                patient_ids=chunk,
                pseudonym_key=pseudonym_key,
                today=today,
                zone=zone,
                details={"format": file_format},
            )
    return cases


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]

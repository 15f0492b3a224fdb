"""Seed a deterministic synthetic cohort through the clinic's own services.

Everything goes through the same services (and so the same gates and audit
trail) as real data, acting as the ``demo-seed`` system actor. The random
generator is seeded, and every date is an offset from ``today`` (the day the
database is created), so one seed and one day give the same cohort.
Users get random passwords, returned to the caller to print; only their
argon2 hashes are stored.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.block import service as block_service
from rhizo.clinic.block.models import BlockAgent, BlockCreate
from rhizo.clinic.complication import service as complication_service
from rhizo.clinic.complication.models import ComplicationCreate, ComplicationType, Severity
from rhizo.clinic.condition import service as condition_service
from rhizo.clinic.condition.models import CareModality, CareTrialCreate, ConditionCreate
from rhizo.clinic.core.auth import service as auth_service
from rhizo.clinic.core.auth.models import Actor, Role, UserCreate
from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.demo.durability import EARLY_SUCCESS, draw_relief_weeks
from rhizo.clinic.demo.intake_seed import seed_requests
from rhizo.clinic.demo.schedule_seed import seed_schedule
from rhizo.clinic.followup import service as followup_service
from rhizo.clinic.followup.models import FollowUpCreate, FollowUpSource
from rhizo.clinic.medication import service as medication_service
from rhizo.clinic.medication.models import MedicationCreate
from rhizo.clinic.patient import service as patient_service
from rhizo.clinic.patient.models import Patient, PatientCreate, Sex
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import PlanCreate
from rhizo.clinic.procedure import service as procedure_service
from rhizo.clinic.procedure.models import (
    LesionCreate,
    LesionSide,
    Placement,
    ProcedureCreate,
)
from rhizo.clinic.specialist import service as specialist_service
from rhizo.clinic.specialist.models import SpecialistCreate
from rhizo.clinic.tasks import service as tasks_service
from rhizo.pathway.gates import MotorResponse, SensoryResponse

SEED_ACTOR = Actor(user_id=None, username="demo-seed", role=None)
MRN_PREFIX = "DEMO-"
DEFAULT_PATIENTS = 200
DEFAULT_SEED = 6

GIVEN = (
    "Ada", "Bram", "Chloe", "Dario", "Edith", "Farid", "Greta", "Hugo", "Ines", "Jonas",
    "Kira", "Luca", "Mira", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tess",
    "Umar", "Vera", "Wim", "Xenia", "Yusuf", "Zoe", "Amir", "Bela", "Carmen", "Dmitri",
)  # fmt: skip
FAMILY = (
    "Abbott", "Berger", "Castillo", "Dekker", "Eriksen", "Fischer", "Garcia", "Haddad",
    "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov",
    "Quintero", "Rossi", "Schmidt", "Tanaka", "Ulrich", "Varga", "Weber", "Xu", "Yilmaz",
    "Zamora", "Almeida", "Brennan", "Costa", "Duarte",
)  # fmt: skip

#: Follow-up days after a procedure (7-21 days, then 1, 3, 6, 12, 18, 24 months).
FOLLOW_UP_DAYS = (14, 30, 91, 182, 365, 547, 730)

DEMO_ROLES: tuple[tuple[str, Role, str | None], ...] = (
    ("demo-admin", Role.ADMIN, "Demo Administrator"),
    ("demo-clinician", Role.CLINICIAN, "Dr Demo Clinician"),
    ("demo-nurse", Role.NURSE, "Demo Nurse"),
    ("demo-researcher", Role.RESEARCHER, "Demo Researcher"),
    ("demo-auditor", Role.AUDITOR, "Demo Auditor"),
    ("demo-patient", Role.PATIENT, None),
)


@dataclass
class SeedReport:
    """What was seeded, with the demo users' one-time passwords."""

    patients: int = 0
    procedures: int = 0
    followups: int = 0
    complications: int = 0
    passwords: dict[str, tuple[str, str]] = field(default_factory=dict)


def is_seeded(session: Session) -> bool:
    """Whether the database already holds the demo cohort."""
    found = session.scalar(
        sa.select(sa.func.count()).select_from(Patient).where(Patient.mrn.like(MRN_PREFIX + "%"))
    )
    return bool(found)


def real_patients(session: Session) -> int:
    """Patients that are not synthetic (the demo refuses to seed next to them)."""
    return int(
        session.scalar(
            sa.select(sa.func.count()).select_from(Patient).where(Patient.synthetic.is_(False))
        )
        or 0
    )


def _lesions(
    rng: random.Random, levels: list[str], sides: list[LesionSide], blocked: bool
) -> list[LesionCreate]:
    """Medial branches for each joint level (L5-S1: the L5 dorsal ramus), on each side."""
    nerves: list[str] = []
    for level in levels:
        upper = level.split("-")[0]
        above = {"L5": "L4", "L4": "L3", "L3": "L2", "L2": "L1"}.get(upper, upper)
        for nerve in (f"{above} medial branch", f"{upper} medial branch"):
            if upper == "L5":
                nerve = nerve.replace("L5 medial branch", "L5 dorsal ramus")
            if nerve not in nerves:
                nerves.append(nerve)
    lesions: list[LesionCreate] = []
    for side in sides:
        for nerve in nerves:
            lesions.append(
                LesionCreate(
                    target_nerve=nerve,
                    side=side,
                    gauge=18,
                    tip_length_mm=10,
                    set_temperature_c=80,
                    duration_s=90,
                    placement=Placement.PARALLEL,
                    sensory_threshold_v=round(rng.uniform(0.2, 0.45), 2),
                    sensory_response=SensoryResponse.CONCORDANT,
                    motor_response=rng.choice((MotorResponse.MULTIFIDUS, MotorResponse.NONE)),
                    motor_test_voltage_v=2.0,
                    local_anaesthetic_given=True,
                    impedance_ohm=round(rng.uniform(180, 420)),
                )
            )
    if blocked and lesions:
        # One position gave a limb twitch: recorded, gated, not performed.
        first = lesions[0]
        lesions.insert(
            0,
            first.model_copy(update={"performed": False, "motor_response": MotorResponse.LIMB}),
        )
    return lesions


def _nrs(rng: random.Random, baseline: int, relief: float) -> int:
    value = round(baseline * (1.0 - relief) + rng.choice((-1, 0, 0, 0, 1)))
    return max(0, min(10, value))


def _pgic(relief: float) -> int:
    if relief >= 0.7:
        return 1
    if relief >= 0.5:
        return 2
    if relief >= 0.3:
        return 3
    return 4


def _at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


@dataclass
class _Ctx:
    session: Session
    rng: random.Random
    today: date
    specialist_ids: list[int]
    report: SeedReport


def _procedure(
    ctx: _Ctx, pid: int, when: date, levels: list[str], side: Side, repeat_of: int | None
) -> int:
    sides = (
        [LesionSide.LEFT, LesionSide.RIGHT] if side is Side.BILATERAL else [LesionSide(side.value)]
    )
    procedure = procedure_service.create(
        session=ctx.session,
        actor=SEED_ACTOR,
        patient_id=pid,
        data=ProcedureCreate(
            performer_id=ctx.rng.choice(ctx.specialist_ids),
            performed_at=_at(when),
            region=Region.LUMBAR,
            side=side,
            levels=levels,
            fluoroscopy_time_s=round(ctx.rng.uniform(40, 160)),
            duration_min=round(ctx.rng.uniform(25, 70)),
            repeat_of_id=repeat_of,
            lesions=_lesions(ctx.rng, levels, sides, blocked=ctx.rng.random() < 0.1),
        ),
    )
    ctx.report.procedures += 1
    return procedure.id


def _outcome(
    ctx: _Ctx, pid: int, procedure_id: int, when: date, baseline: int
) -> tuple[bool, float]:
    """Follow-ups after one procedure; returns (success, weeks of relief)."""
    rng = ctx.rng
    success = rng.random() < EARLY_SUCCESS
    weeks = draw_relief_weeks(rng) if success else 0.0
    peak = rng.uniform(0.5, 0.9) if success else rng.uniform(0.0, 0.4)
    faded = rng.uniform(0.0, 0.3)
    for days in FOLLOW_UP_DAYS:
        on = when + timedelta(days=days)
        if on > ctx.today:
            break
        relief = peak if days / 7 <= weeks else min(faded, peak)
        followup_service.create(
            session=ctx.session,
            actor=SEED_ACTOR,
            patient_id=pid,
            data=FollowUpCreate(
                followed_on=on,
                nrs=_nrs(rng, baseline, relief),
                odi=max(0, min(100, round(baseline * 5 * (1 - relief) + rng.uniform(-4, 4)))),
                pgic=_pgic(relief),
                procedure_id=procedure_id,
                source=FollowUpSource.PHONE if days == 14 else FollowUpSource.CLINIC,
            ),
        )
        ctx.report.followups += 1
    if rng.random() < 0.06:
        kind = rng.choice(
            (ComplicationType.NEURITIS, ComplicationType.LOCALIZED_PAIN, ComplicationType.NUMBNESS)
        )
        onset = when + timedelta(days=rng.randint(1, 7))
        resolved = onset + timedelta(days=rng.randint(10, 42))
        complication_service.create(
            session=ctx.session,
            actor=SEED_ACTOR,
            patient_id=pid,
            data=ComplicationCreate(
                type=kind,
                severity=Severity.MILD if rng.random() < 0.8 else Severity.MODERATE,
                onset_date=onset,
                resolved_on=resolved if resolved <= ctx.today else None,
                procedure_id=procedure_id,
            ),
        )
        ctx.report.complications += 1
    return success, weeks


def _patient(ctx: _Ctx, index: int, user_id: int | None) -> None:
    rng = ctx.rng
    today = ctx.today
    age_days = rng.randint(38 * 365, 80 * 365)
    patient = patient_service.create(
        session=ctx.session,
        actor=SEED_ACTOR,
        data=PatientCreate(
            mrn=f"{MRN_PREFIX}{index + 1:04d}",
            given_name=rng.choice(GIVEN),
            family_name=rng.choice(FAMILY),
            birth_date=today - timedelta(days=age_days),
            sex=rng.choice((Sex.FEMALE, Sex.MALE)),
            synthetic=True,
        ),
    )
    pid = patient.id
    if user_id is not None:
        patient_service.link_login(
            session=ctx.session, actor=SEED_ACTOR, patient_id=pid, user_id=user_id
        )
    ctx.report.patients += 1
    first_seen = today - timedelta(days=rng.randint(120, 900))
    onset = first_seen - timedelta(days=rng.randint(120, 1500))
    condition_service.create(
        session=ctx.session,
        actor=SEED_ACTOR,
        patient_id=pid,
        data=ConditionCreate(
            icd10_code="M47.816",
            description="Spondylosis without myelopathy or radiculopathy, lumbar region",
            onset_date=onset,
            region=Region.LUMBAR,
            side=Side.BILATERAL,
        ),
    )
    condition_service.create_trial(
        session=ctx.session,
        actor=SEED_ACTOR,
        patient_id=pid,
        data=CareTrialCreate(
            modality=CareModality.PHYSIOTHERAPY,
            start_date=first_seen - timedelta(weeks=rng.randint(10, 20)),
            end_date=first_seen - timedelta(weeks=1),
            relief_percent=rng.randint(0, 30),
        ),
    )
    if rng.random() < 0.25:
        medication_service.create(
            session=ctx.session,
            actor=SEED_ACTOR,
            patient_id=pid,
            data=MedicationCreate(name=rng.choice(("aspirin", "ibuprofen", "clopidogrel"))),
        )
    baseline = rng.randint(5, 9)
    levels = rng.choice((["L4-L5", "L5-S1"], ["L3-L4", "L4-L5"], ["L4-L5"], ["L5-S1"]))
    side = rng.choice((Side.BILATERAL, Side.BILATERAL, Side.LEFT, Side.RIGHT))
    positive = rng.random() < 0.85 or index == 0
    for n, days in enumerate((0, 14)):
        block_service.create(
            session=ctx.session,
            actor=SEED_ACTOR,
            patient_id=pid,
            data=BlockCreate(
                performed_on=first_seen + timedelta(days=days),
                levels=levels,
                side=side,
                agent=BlockAgent.LIDOCAINE if n == 0 else BlockAgent.BUPIVACAINE,
                volume_ml=0.5,
                baseline_nrs=baseline,
                relief_percent=rng.randint(80, 100) if positive else rng.randint(20, 70),
                relief_hours=2.0 if n == 0 else 6.0,
            ),
        )
    if not positive:
        return
    when = first_seen + timedelta(days=rng.randint(35, 70))
    if when >= today or index == 0:
        planned = today + timedelta(days=rng.randint(7, 28)) if when >= today else when
        if index == 0:
            planned = today + timedelta(days=21)
        if index != 0 or when >= today:
            plan_service.create(
                session=ctx.session,
                actor=SEED_ACTOR,
                patient_id=pid,
                data=PlanCreate(
                    procedure="lumbar-facet-rf", planned_date=planned, side=side, levels=levels
                ),
            )
            return
    procedure_id = _procedure(ctx, pid, when, levels, side, None)
    success, weeks = _outcome(ctx, pid, procedure_id, when, baseline)
    repeat_day = when + timedelta(weeks=weeks + rng.randint(6, 16))
    if success and weeks >= 13 and repeat_day < today - timedelta(days=14):
        repeat_id = _procedure(ctx, pid, repeat_day, levels, side, procedure_id)
        _outcome(ctx, pid, repeat_id, repeat_day, baseline)
    elif index == 0 or (success and repeat_day >= today):
        plan_service.create(
            session=ctx.session,
            actor=SEED_ACTOR,
            patient_id=pid,
            data=PlanCreate(
                procedure="lumbar-facet-rf",
                planned_date=max(repeat_day, today + timedelta(days=21)),
                side=side,
                levels=levels,
            ),
        )


def new_password() -> str:
    """A random 16-character password for a demo user."""
    return secrets.token_urlsafe(12)


def seed(
    session: Session,
    *,
    patients: int = DEFAULT_PATIENTS,
    seed_value: int = DEFAULT_SEED,
    today: date | None = None,
) -> SeedReport:
    """Create the demo users, specialists and ``patients`` synthetic patients."""
    rng = random.Random(seed_value)  # noqa: S311 - synthetic data, not security
    report = SeedReport()
    user_ids: dict[str, int] = {}
    for username, role, full_name in DEMO_ROLES:
        password = new_password()
        user = auth_service.create(
            session=session,
            actor=SEED_ACTOR,
            data=UserCreate(username=username, password=password, role=role, full_name=full_name),
        )
        user_ids[username] = user.id
        report.passwords[username] = (role.value, password)
    specialist_ids = []
    for name, years, user_id in (
        ("Dr Demo Clinician", 12, user_ids["demo-clinician"]),
        ("Dr Ana Synthetic", 8, None),
        ("Dr Ben Example", 21, None),
    ):
        specialist = specialist_service.create(
            session=session,
            actor=SEED_ACTOR,
            data=SpecialistCreate(
                display_name=name,
                user_id=user_id,
                specialty="Pain medicine",
                board_certification="Synthetic board of pain medicine",
                years_in_practice=years,
            ),
        )
        specialist_ids.append(specialist.id)
    ctx = _Ctx(session, rng, today or date.today(), specialist_ids, report)
    for index in range(patients):
        _patient(ctx, index, user_ids["demo-patient"] if index == 0 else None)
    seed_schedule(
        session,
        actor=SEED_ACTOR,
        today=ctx.today,
        specialist_ids=specialist_ids,
        demo_user_id=user_ids["demo-patient"],
    )
    tasks_service.refresh(session=session, today=ctx.today)  # the demo's worklist tasks
    seed_requests(session, actor=SEED_ACTOR, demo_user_id=user_ids["demo-patient"])
    return report

"""Demo consultation requests: two from the public page, one from the demo patient's portal.

Synthetic people with reserved addresses (example.org, RFC 2606; the UK's drama
number range 020 7946 0xxx, Ofcom), so the demo's outbox never reaches anyone.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.intake import service
from rhizo.clinic.intake.models import RequestCreate, RequestSource
from rhizo.clinic.patient.models import Patient

_PUBLIC = (
    RequestCreate(
        name="Carla Demo",
        email="carla.demo@example.org",
        region="lumbar",
        pain_weeks=30,
        referrer_name="Dr F. Synthetic",
        preferred_days=["tuesday", "thursday"],
        preferred_parts=["morning"],
        message="Low back pain for about seven months, worse when standing.",
    ),
    RequestCreate(
        name="Dev Example",
        phone="020 7946 0123",
        region="cervical",
        pain_weeks=6,
        preferred_parts=["afternoon"],
        message="Neck pain since a fall six weeks ago.",
    ),
)


def seed_requests(session: Session, *, actor: Actor, demo_user_id: int) -> int:
    """Add the demo's requests (the demo patient's only when their record exists); how many."""
    made = 0
    for index, data in enumerate(_PUBLIC):
        service.create(
            session=session,
            actor=actor,
            data=data,
            source=RequestSource.PUBLIC,
            address_hash=f"demo-{index}",
        )
        made += 1
    patient = session.scalar(sa.select(Patient).where(Patient.user_id == demo_user_id))
    if patient is not None:
        service.create_own(
            session=session,
            actor=actor,
            patient_id=patient.id,
            data=RequestCreate(
                name=f"{patient.given_name} {patient.family_name}",
                email=patient.email or "demo.patient@example.org",
                region="lumbar",
                pain_weeks=40,
                message="My pain has come back since the last treatment.",
            ),
        )
        made += 1
    return made

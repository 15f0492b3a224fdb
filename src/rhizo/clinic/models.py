"""Every clinic table, imported in one place so ``Base.metadata`` is complete.

Alembic's ``env.py`` and the tests import this module.
"""

from __future__ import annotations

from rhizo.clinic.allergy.models import Allergy
from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import CareTrial, Condition
from rhizo.clinic.core.audit.models import AuditEvent
from rhizo.clinic.core.auth.models import LoginThrottle, User
from rhizo.clinic.core.clinic_settings.models import ClinicSettingsRow
from rhizo.clinic.core.database import Base
from rhizo.clinic.core.idempotency.models import IdempotencyKey
from rhizo.clinic.core.outbox.models import OutboxMessage, OutboxSendRecord
from rhizo.clinic.discharge.models import Discharge
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.intake.models import ConsultationRequest
from rhizo.clinic.medication.models import Medication
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Lesion, Procedure
from rhizo.clinic.schedule.models import (
    Appointment,
    ClinicSession,
    OccupiedBlock,
    Room,
    SessionException,
)
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.tasks.models import WorklistTask

metadata = Base.metadata

__all__ = [
    "Allergy",
    "Appointment",
    "AuditEvent",
    "Base",
    "CareTrial",
    "ClinicSession",
    "ClinicSettingsRow",
    "Complication",
    "Condition",
    "ConsultationRequest",
    "DiagnosticBlock",
    "Discharge",
    "FollowUp",
    "IdempotencyKey",
    "Lesion",
    "LoginThrottle",
    "Medication",
    "OccupiedBlock",
    "OutboxMessage",
    "OutboxSendRecord",
    "Patient",
    "Plan",
    "Procedure",
    "Room",
    "SessionException",
    "Specialist",
    "User",
    "WorklistTask",
    "metadata",
]

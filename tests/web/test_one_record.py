"""The patient page, the FHIR export and the research export show the same rows.

All three read the one reader of a patient's whole record
(:mod:`rhizo.clinic.chart.reader`). For seeded patients the rows each one
emits are compared with the rows the database holds, read here with plain
SQL: the page's timeline items (``data-row="<kind>-<id>"``), the Bundle's
resource ids (``procedure-<id>``, ``procedure-block-<id>``, ...), and the
research export's tables (they carry no ids: each table's day offsets from the
first procedure's day, and each procedure's performed-lesion count).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import Condition
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.procedure.models import Lesion, Procedure
from rhizo.clinic.research import service as research_service
from rhizo.clinic.research.models import DeidCase
from tests.web.test_forms_support import AsRole, db

ROW = re.compile(r'data-row="([a-z]+)-(\d+)"')
#: FHIR resource id -> (kind, row id): the export's own id scheme, read back.
FHIR_ID = {
    "Condition": re.compile(r"^condition-(\d+)$"),
    "Procedure": re.compile(r"^procedure-(\d+)$"),
    "Block": re.compile(r"^procedure-block-(\d+)$"),
    "Lesion": re.compile(r"^observation-lesion-(\d+)$"),
    "FollowUp": re.compile(r"^observation-followup-(\d+)-nrs$"),
    "AdverseEvent": re.compile(r"^adverseevent-(\d+)$"),
}
_RESEARCHER = Actor(user_id=None, username="one-record-tests", role=Role.RESEARCHER)

Rows = dict[str, set[int]]


def _utc_day(moment: datetime) -> date:
    """The test app's clinic zone is UTC (naive = stored UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).date()


def _stored(app: FastAPI, pid: int) -> tuple[Rows, dict[str, list[date]], dict[int, int]]:
    """The ids of each kind, each kind's event days, and each procedure's performed
    lesions: straight from the tables."""
    with db(app) as session:

        def ids(model: type, *where: sa.ColumnElement[bool]) -> set[int]:
            return set(session.scalars(sa.select(model.id).where(*where)).all())  # type: ignore[attr-defined]

        rows: Rows = {
            "condition": ids(Condition, Condition.patient_id == pid),
            "dated-condition": ids(
                Condition, Condition.patient_id == pid, Condition.onset_date.is_not(None)
            ),
            "block": ids(DiagnosticBlock, DiagnosticBlock.patient_id == pid),
            "procedure": ids(Procedure, Procedure.patient_id == pid),
            "lesion": set(
                session.scalars(
                    sa.select(Lesion.id).join(Procedure).where(Procedure.patient_id == pid)
                ).all()
            ),
            "followup": ids(FollowUp, FollowUp.patient_id == pid),
            "complication": ids(Complication, Complication.patient_id == pid),
        }
        days = {
            "block": list(
                session.scalars(
                    sa.select(DiagnosticBlock.performed_on).where(DiagnosticBlock.patient_id == pid)
                )
            ),
            "procedure": [
                _utc_day(at)
                for at in session.scalars(
                    sa.select(Procedure.performed_at).where(Procedure.patient_id == pid)
                )
            ],
            "followup": list(
                session.scalars(sa.select(FollowUp.followed_on).where(FollowUp.patient_id == pid))
            ),
            "complication": list(
                session.scalars(
                    sa.select(Complication.onset_date).where(Complication.patient_id == pid)
                )
            ),
        }
        performed = dict(
            session.execute(
                sa.select(Procedure.id, sa.func.count(Lesion.id))
                .outerjoin(Lesion, (Lesion.procedure_id == Procedure.id) & Lesion.performed)
                .where(Procedure.patient_id == pid)
                .group_by(Procedure.id)
            ).all()
        )
    return rows, days, performed


def _page_rows(html: str) -> Rows:
    found: Rows = {}
    for kind, row_id in ROW.findall(html):
        found.setdefault(kind, set()).add(int(row_id))
    return found


def _fhir_rows(bundle: dict[str, object]) -> Rows:
    found: Rows = {kind: set() for kind in FHIR_ID}
    for item in bundle["entry"]:  # type: ignore[attr-defined]
        resource_id = item["resource"]["id"]
        for kind, pattern in FHIR_ID.items():
            match = pattern.match(resource_id)
            if match:
                found[kind].add(int(match[1]))
    return found


def _research_case(app: FastAPI, pid: int) -> DeidCase:
    settings = app.state.settings
    with db(app) as session:
        total = int(session.scalar(sa.select(sa.func.count(Patient.id))) or 0)
        cases, _ = research_service.export(
            session=session,
            actor=_RESEARCHER,
            pseudonym_key=settings.pseudonym_secret,
            limit=total,
            offset=0,
            # Today (UTC, the test app's clinic zone): the export leaves out rows dated
            # after it, and other tests on this app add rows dated today.
            today=datetime.now(UTC).date(),
            zone=UTC,
        )
    wanted = research_service.research_id(pid, settings.pseudonym_secret)
    (case,) = [c for c in cases if c.research_id == wanted]
    return case


def _treated(app: FastAPI) -> list[int]:
    """Seeded patients with a procedure, a block and a follow-up (the richest records)."""
    with db(app) as session:
        has = [
            sa.select(model.patient_id).distinct()
            for model in (Procedure, DiagnosticBlock, FollowUp)
        ]
        statement = sa.select(Patient.id).where(*(Patient.id.in_(h) for h in has))
        return list(session.scalars(statement.order_by(Patient.id).limit(3)))


@pytest.fixture
def treated(web_app: FastAPI) -> list[int]:
    found = _treated(web_app)
    assert found, "the seeded cohort has no treated patient"
    return found


def test_page_fhir_and_research_show_the_stored_rows(
    as_role: AsRole, web_app: FastAPI, treated: list[int]
) -> None:
    client = as_role("clinician")
    for pid in treated:
        stored, days, performed = _stored(web_app, pid)
        assert stored["procedure"]
        assert stored["followup"]

        page = _page_rows(client.get(f"/patients/{pid}").text)
        assert page.get("condition", set()) == stored["dated-condition"]
        for kind in ("block", "procedure", "followup", "complication"):
            assert page.get(kind, set()) == stored[kind], (pid, kind)

        response = client.get(f"/patients/{pid}/fhir.json")
        assert response.status_code == 200
        fhir = _fhir_rows(json.loads(response.text))
        assert fhir["Condition"] == stored["condition"]
        assert fhir["Block"] == stored["block"]
        assert fhir["Procedure"] == stored["procedure"]
        assert fhir["Lesion"] == stored["lesion"]
        assert fhir["FollowUp"] == stored["followup"]
        assert fhir["AdverseEvent"] == stored["complication"]

        case = _research_case(web_app, pid)
        anchor = min(days["procedure"])
        exported = {
            "block": case.blocks,
            "procedure": case.procedures,
            "followup": case.followups,
            "complication": case.complications,
        }
        for kind, table in exported.items():
            emitted = Counter(row.day for row in table)
            assert emitted == Counter((d - anchor).days for d in days[kind]), (pid, kind)
        lesions = Counter(p.lesions_performed for p in case.procedures)
        assert lesions == Counter(performed.values())
        with db(web_app) as session:
            codes = session.scalars(
                sa.select(Condition.icd10_code).where(Condition.patient_id == pid)
            )
            assert sorted(c.icd10_code for c in case.conditions) == sorted(codes)

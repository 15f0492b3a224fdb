"""The portal and the patient page say the same thing about each medicine (issue 16).

Both render :func:`rhizo.pathway.patient_plan.patient_plan` of the stored plan; the
reference is :func:`rhizo.pathway.premed.plan_premedication` called directly with
the same inputs. Two plans cover every hold decision (drug table, Narouze 2018 as
read in rhizo's ``knowledge/drugs.yaml``):

- low risk (lumbar facet RF), no sedation: enoxaparin held (``yes``), clopidogrel
  kept (``no``: low-risk row), warfarin ``individualise``; no fasting lines;
- high risk (spinal cord stimulator), moderate sedation: clopidogrel held
  (``yes``), aspirin with no indication ``needs_input``, garlic ``individualise``;
  fasting shown.

The first app has the clinic's phone set (a ``tel:`` link, name and hours); the
second has none and says "call the clinic that treated you".
"""

from __future__ import annotations

import json
import re
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import SecretStr

from rhizo.cli import main
from rhizo.clinic.core import migrate
from rhizo.clinic.core.common import Side
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import SEED_ACTOR, seed
from rhizo.clinic.medication import service as medication_service
from rhizo.clinic.medication.models import MedicationCreate
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan import service as plan_service
from rhizo.clinic.plan.models import PlanCreate, Sedation
from rhizo.clinic.web.app import create_web_app
from rhizo.clinic.web.clinic_contact import FALLBACK_TEXT
from rhizo.pathway.patient_plan import patient_plan
from rhizo.pathway.premed import plan_premedication
from tests.web.conftest import login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

SEEDED_ON = date(2026, 6, 1)
#: After every seeded plan, so the portal shows this one.
PLANNED = max(date.today(), SEEDED_ON) + timedelta(days=500)


@dataclass(frozen=True)
class Case:
    procedure: str
    levels: list[str]
    drugs: list[str]
    sedation: Sedation
    phone: str | None
    #: The guideline table's answer, written out: drug -> pause / keep / ask.
    expected: dict[str, str]


CASES = {
    "low-no-sedation": Case(
        procedure="lumbar-facet-rf",
        levels=["L4-L5"],
        drugs=["clopidogrel", "enoxaparin", "warfarin"],
        sedation=Sedation.NONE,
        phone="+1 (555) 010-0199",
        expected={"clopidogrel": "keep", "enoxaparin": "pause", "warfarin": "ask"},
    ),
    "high-sedation": Case(
        procedure="spinal-cord-stimulator",
        levels=["T9-T10"],
        drugs=["aspirin", "clopidogrel", "garlic"],
        sedation=Sedation.MODERATE,
        phone=None,
        expected={"aspirin": "ask", "clopidogrel": "pause", "garlic": "ask"},
    ),
}

ACTION_OF_HOLD = {"yes": "pause", "no": "keep", "individualise": "ask", "needs_input": "ask"}


@dataclass(frozen=True)
class Pages:
    case: Case
    portal: str
    patient_page: str


@pytest.fixture(scope="module", params=sorted(CASES))
def pages(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Pages:
    case = CASES[request.param]
    path: Path = tmp_path_factory.mktemp("one-message") / "plan.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    report = seed(session, patients=3, today=SEEDED_ON)
    own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    assert own is not None
    for name in case.drugs:
        medication_service.create(
            session=session, actor=SEED_ACTOR, patient_id=int(own), data=MedicationCreate(name=name)
        )
    plan_service.create(
        session=session,
        actor=SEED_ACTOR,
        patient_id=int(own),
        data=PlanCreate(
            procedure=case.procedure,
            planned_date=PLANNED,
            side=Side.BILATERAL,
            levels=case.levels,
            sedation=case.sedation,
        ),
    )
    session.commit()
    session.close()
    engine.dispose()
    settings = Settings(
        database_url=url,
        env="test",
        secret_key=SecretStr("m" * 24 + "n" * 24 + "abcdefgh"),
        admin_totp_required=False,
        clinic_name="Riverside Spine Clinic" if case.phone else None,
        clinic_phone=case.phone,
        clinic_hours="Mon-Fri 8:00-17:00" if case.phone else None,
    )
    app: FastAPI = create_web_app(settings, synthetic=True)
    passwords = {name: password for name, (_, password) in report.passwords.items()}
    with TestClient(app, raise_server_exceptions=False) as client:
        login(client, "demo-patient", passwords["demo-patient"])
        portal = client.get("/portal")
        assert portal.status_code == 200
    with TestClient(app, raise_server_exceptions=False) as client:
        login(client, "demo-clinician", passwords["demo-clinician"])
        page = client.get(f"/patients/{own}")
        assert page.status_code == 200
    return Pages(case=case, portal=portal.text, patient_page=page.text)


def _reference(case: Case) -> dict[str, str]:
    plan = plan_premedication(
        procedure=case.procedure,
        procedure_date=PLANNED,
        drugs=case.drugs,
        sedation=case.sedation is not Sedation.NONE,
    )
    return {hold.drug: ACTION_OF_HOLD[hold.hold] for hold in plan.holds}


MEDICINE = re.compile(r'<li class="medicine" data-drug="([^"]+)" data-action="([^"]+)">')


def _our_plan(patient_page: str, case: Case) -> str:
    """The patient page's block for this plan: from its heading to the next plan's."""
    start = patient_page.index(f"<h3>{case.procedure} on {PLANNED.isoformat()}")
    end = patient_page.find("<h3>", start + 1)
    return patient_page[start : end if end != -1 else None]


def _portal_plan(portal: str) -> str:
    start = portal.index("<h2>Your procedure:")
    return portal[start : portal.index("</section>", start)]


def test_the_table_gives_what_the_case_expects(pages: Pages) -> None:
    # The reference itself against the drug table's rows written out (so a change
    # in the table is seen here, not silently followed by both pages).
    assert _reference(pages.case) == pages.case.expected


def test_portal_and_patient_page_pause_and_keep_the_same_drugs(pages: Pages) -> None:
    portal = dict(MEDICINE.findall(_portal_plan(pages.portal)))
    told = dict(MEDICINE.findall(_our_plan(pages.patient_page, pages.case)))
    reference = _reference(pages.case)
    assert portal == reference
    assert told == reference
    for drug, action in reference.items():
        if action != "pause":  # the audit's finding: never "pause X" when X is not held
            item = re.search(rf'data-drug="{drug}"[^>]*>(.*?)</li>', _portal_plan(pages.portal))
            assert item is not None
            assert "last dose" not in item.group(1)


def test_last_dose_dates_are_the_plans(pages: Pages) -> None:
    plan = plan_premedication(
        procedure=pages.case.procedure,
        procedure_date=PLANNED,
        drugs=pages.case.drugs,
        sedation=pages.case.sedation is not Sedation.NONE,
    )
    held = [hold for hold in plan.holds if hold.hold == "yes"]
    assert held
    for hold in held:
        assert hold.last_dose_date is not None
        line = f"<strong>{hold.drug}</strong>: last dose on {hold.last_dose_date.isoformat()}"
        assert line in pages.portal
        assert line in _our_plan(pages.patient_page, pages.case)


def test_fasting_only_with_sedation_and_transport_always(pages: Pages) -> None:
    sedated = pages.case.sedation is not Sedation.NONE
    portal = _portal_plan(pages.portal)
    told = _our_plan(pages.patient_page, pages.case)
    for text in (portal, told):
        assert ('data-topic="fasting"' in text) is sedated
        assert "No solid food for 6 hours" in text if sedated else "No solid food" not in text
        assert 'data-topic="transport"' in text


def test_who_to_call(pages: Pages) -> None:
    help_card = pages.portal[pages.portal.index('id="get-help"') :]
    help_card = help_card[: help_card.index("</section>")]
    if pages.case.phone:
        link = '<a class="clinic-phone" href="tel:+15550100199">+1 (555) 010-0199</a>'
        assert f"Call Riverside Spine Clinic on {link} (Mon-Fri 8:00-17:00)." in help_card
        assert pages.portal.count('href="tel:+15550100199"') == 2  # warning signs, aftercare
        assert FALLBACK_TEXT not in pages.portal
    else:
        assert FALLBACK_TEXT in help_card
        assert "tel:" not in pages.portal
    assert "call us" not in pages.portal.lower()


def test_rhizo_premed_says_the_same(pages: Pages, capsys: pytest.CaptureFixture[str]) -> None:
    """``rhizo premed --json`` (the CLI) holds and preparation match both pages."""
    case = pages.case
    args = ["premed", "--procedure", case.procedure, "--date", PLANNED.isoformat()]
    for drug in case.drugs:
        args += ["--drug", drug]
    if case.sedation is not Sedation.NONE:
        args.append("--sedation")
    assert main([*args, "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    actions = {hold["drug"]: ACTION_OF_HOLD[hold["hold"]] for hold in cli["holds"]}
    assert actions == dict(MEDICINE.findall(_portal_plan(pages.portal)))
    topics = [item["topic"] for item in cli["instructions"]]
    portal_topics = re.findall(r'<li data-topic="([^"]+)">', _portal_plan(pages.portal))
    assert portal_topics == topics  # same steps, same order, fasting only with sedation
    for hold in cli["holds"]:
        if hold["hold"] == "yes":
            assert f"last dose on {hold['last_dose_date']}" in pages.portal


def test_stored_fasting_lines_without_sedation_are_not_shown() -> None:
    """A plan whose stored preparation still has fasting (sedation since removed)."""
    sedated = plan_premedication(
        procedure="lumbar-facet-rf", procedure_date=PLANNED, drugs=[], sedation=True
    )
    assert [i.topic for i in sedated.instructions].count("fasting") == 2  # 6 h solids, 4 h liquids
    shown = patient_plan(holds=[], instructions=sedated.instructions, sedation=False)
    topics = [item.topic for item in shown.preparation]
    assert "fasting" not in topics
    assert "transport" in topics
    assert len(topics) == len(sedated.instructions) - 2
    kept = patient_plan(holds=[], instructions=sedated.instructions, sedation=True)
    assert kept.preparation == sedated.instructions

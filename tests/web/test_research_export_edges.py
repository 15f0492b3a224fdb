"""The export's responder figures at the rules' edges, against hand-counted answers and the API.

A small cohort made for the rules' boundaries (the demo cohort's follow-ups sit
near the review days, so it cannot tell a +-30-day window from a +-10-day one,
or notice a PGIC veto): a score exactly 30 days after the review day (in) and
one 31 days after (out), two scores equally far either side (the earlier
counts), exactly 50 % relief (a responder: "at least"), 66 % relief with PGIC 4
(no change: not a responder), a linked score next to a repeat procedure's
diary score, a negative block (no baseline), a window still open (pending),
an abandoned and a scheduled procedure (not counted). The expected counts are
written out by hand per specialist; the export alone (read back from the CSV
zip) must give them, and so must ``GET /api/v1/analytics/durability``.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import SecretStr

from rhizo.clinic.block.models import BlockAgent, BlockType, DiagnosticBlock
from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Actor, Role
from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.core.config import Settings
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.plan.models import Sedation
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus, Technique
from rhizo.clinic.research import files, service
from rhizo.clinic.web.app import create_web_app
from rhizo.pathway.dates import months_after
from tests.clinic.factories import make_patient, make_specialist, make_user
from tests.web.test_research_export import _bearer, _pseudonym, read_csv_zip, responder_figures

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

#: (responders, assessable, pending, missing) per specialist and review, counted by hand
#: from the cases in :func:`_cohort` (the reasons are beside each case there).
EXPECTED = {
    "first": {3: (2, 2, 1, 0), 6: (0, 1, 1, 1)},
    "second": {3: (1, 2, 0, 0), 6: (0, 0, 0, 2)},
    "all": {3: (3, 4, 1, 0), 6: (0, 1, 1, 3)},
}


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=UTC)


def _cohort(session: sa.orm.Session, today: date) -> dict[str, int]:
    first = make_specialist(session, display_name="Dr Edge First")
    second = make_specialist(session, display_name="Dr Edge Second")
    d0 = today - timedelta(days=400)  # both windows long closed
    t3, t6 = months_after(d0, 3), months_after(d0, 6)

    def procedure(patient: int, performer: int, day: date, **kw: object) -> Procedure:
        row = Procedure(
            patient_id=patient,
            performer_id=performer,
            performed_at=_at(day),
            technique=Technique.CONVENTIONAL,
            region=Region.LUMBAR,
            side=Side.RIGHT,
            levels=["L4-L5"],
            sedation=Sedation.NONE,
            status=kw.pop("status", ProcedureStatus.COMPLETED),
            **kw,
        )
        session.add(row)
        session.flush()
        return row

    def block(patient: int, day: date, nrs: int, relief: int) -> None:
        session.add(
            DiagnosticBlock(
                patient_id=patient,
                performed_on=day,
                block_type=BlockType.MEDIAL_BRANCH,
                levels=["L4-L5"],
                side=Side.RIGHT,
                agent=BlockAgent.LIDOCAINE,
                volume_ml=0.5,
                baseline_nrs=nrs,
                relief_percent=relief,
            )
        )

    def score(patient: int, day: date, nrs: int, **kw: object) -> None:
        session.add(
            FollowUp(
                patient_id=patient,
                followed_on=day,
                nrs=nrs,
                source=kw.pop("source", FollowUpSource.CLINIC),
                **kw,
            )
        )

    # first / P1: block baseline 8. 3 m: NRS 3 exactly 30 days after the review day (in):
    # responder. 6 m: NRS 2 31 days after (out): missing.
    p1 = make_patient(session).id
    block(p1, d0 - timedelta(days=14), 8, 80)
    procedure(p1, first.id, d0)
    score(p1, t3 + timedelta(days=30), 3)
    score(p1, t6 + timedelta(days=31), 2)
    # first / P2: score baseline 6 ten days before (beats the block's 9). 3 m: NRS 3 thirty
    # days before the review day (exactly 50 %) and NRS 6 thirty days after: a tie, the
    # earlier counts: responder. 6 m: NRS 2 (67 %) with PGIC 4, no change: non-responder.
    p2 = make_patient(session).id
    block(p2, d0 - timedelta(days=20), 9, 80)
    score(p2, d0 - timedelta(days=10), 6)
    procedure(p2, first.id, d0)
    score(p2, t3 - timedelta(days=30), 3)
    score(p2, t3 + timedelta(days=30), 6)
    score(p2, t6 + timedelta(days=1), 2, pgic=4)
    # first / P5: done 80 days ago: both windows still open: pending, pending.
    p5 = make_patient(session).id
    recent = today - timedelta(days=80)
    block(p5, recent - timedelta(days=7), 7, 90)
    procedure(p5, first.id, recent)
    # first / P7: a scheduled procedure 10 days ahead: not exported, not counted.
    p7 = make_patient(session).id
    block(p7, today - timedelta(days=3), 7, 90)
    procedure(p7, first.id, today + timedelta(days=10), status=ProcedureStatus.SCHEDULED)
    # second / P3: block baseline 7; a repeat 100 days later. 3 m of the first: NRS 7
    # linked to it (0 %): non-responder; the diary's NRS 3 120 days on belongs to the
    # repeat (the latest earlier procedure), not to the first. 6 m of the first: missing.
    # The repeat's baseline is that linked 7 (a score 8 days before); its 3 m: diary NRS 3
    # on its review day: responder; 6 m: missing.
    p3 = make_patient(session).id
    block(p3, d0 - timedelta(days=14), 7, 80)
    one = procedure(p3, second.id, d0)
    d1 = d0 + timedelta(days=100)
    procedure(p3, second.id, d1, repeat_of_id=one.id)
    score(p3, d0 + timedelta(days=92), 7, procedure_id=one.id)
    score(p3, d0 + timedelta(days=120), 3, source=FollowUpSource.DIARY)
    score(p3, months_after(d1, 3), 3, source=FollowUpSource.DIARY)
    # second / P4: a negative block (40 %) and no score before: no baseline, not counted.
    p4 = make_patient(session).id
    block(p4, d0 - timedelta(days=14), 8, 40)
    procedure(p4, second.id, d0)
    score(p4, t3, 1)
    # second / P6: abandoned: not counted, whatever its scores; a score dated ahead of today.
    p6 = make_patient(session).id
    block(p6, d0 - timedelta(days=14), 8, 80)
    procedure(p6, second.id, d0, status=ProcedureStatus.ABANDONED)
    score(p6, t3, 1)
    score(p6, today + timedelta(days=5), 1)
    session.commit()
    return {"first": first.id, "second": second.id}


@pytest.fixture(scope="module")
def edge_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, dict[str, int]]:
    path: Path = tmp_path_factory.mktemp("edges") / "edges.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    settings = Settings(
        database_url=url, env="test", secret_key=SecretStr("e" * 48), admin_totp_required=False
    )
    app = create_web_app(settings)
    with app.state.session_factory() as session:
        ids = _cohort(session, datetime.now(settings.clinic_zone).date())
        make_user(session, Role.RESEARCHER, username="edge-researcher")
    return app, ids


def test_the_export_counts_each_edge_as_the_rules_say(
    edge_app: tuple[FastAPI, dict[str, int]],
) -> None:
    app, ids = edge_app
    settings = app.state.settings
    today = datetime.now(settings.clinic_zone).date()
    with app.state.session_factory() as session:
        cases = service.export_all(
            session=session,
            actor=Actor(user_id=None, username="edge-test", role=Role.RESEARCHER),
            pseudonym_key=settings.pseudonym_secret,
            today=today,
            zone=settings.clinic_zone,
            file_format="csv",
        )
    tables = read_csv_zip(files.csv_zip(cases))
    mine = responder_figures(tables)
    key = settings.pseudonym_secret
    for name, specialist in ids.items():
        assert mine[_pseudonym(specialist, key)] == EXPECTED[name], name
    assert mine["all"] == EXPECTED["all"]
    # The scheduled procedure and the score dated ahead are not in the export.
    assert {p["status"] for p in tables["procedures"]} == {"completed", "abandoned"}
    assert max(f["day"] for f in tables["followups"]) < 400

    with TestClient(app, raise_server_exceptions=False) as client:
        headers = _bearer(app, "edge-researcher")
        groups = client.get(
            "/api/v1/analytics/durability?grouping=performer", headers=headers
        ).json()["groups"]
        overall = client.get("/api/v1/analytics/durability", headers=headers).json()["overall"]
    by_id = {int(g["key"]): g for g in groups}
    for name, specialist in ids.items():
        for r in by_id[specialist]["responders"]:
            got = (r["responders"], r["assessable"], r["pending"], r["missing"])
            assert got == EXPECTED[name][r["months"]], (name, r["months"])
    for r in overall["responders"]:
        got = (r["responders"], r["assessable"], r["pending"], r["missing"])
        assert got == EXPECTED["all"][r["months"]], r["months"]

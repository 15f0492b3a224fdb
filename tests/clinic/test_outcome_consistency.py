"""Every outcome figure on the specialist pages, the Outcomes page and the API, recomputed here.

A registry is seeded row by row (patients, blocks, procedures, follow-ups,
with procedures at London month ends and across the clinic's midnight,
where the UTC day is another day), then the pages and the API are requested
and each figure they show is recomputed in this file from the rows, in plain
Python written from the stated rules (docs/measures.md), not by calling
rhizo's functions:

- the procedure's day: its London calendar date;
- N months after a day: the same day N calendar months on, clamped at month end;
- baseline: the latest NRS score in the 90 days before the day (the day
  excluded, not on a block's day), else the pre-injection NRS of the latest
  block with >= 50 % relief on or before the day;
- a score's procedure: the one it is linked to, else the patient's latest
  procedure on an earlier day;
- responder at N months: the score nearest N months after the day within
  +-30 days (ties: earlier, then first recorded) shows >= 50 % relief and,
  when that follow-up recorded a PGIC, it is 1 or 2 (Cohen 2010's global
  perceived effect);
- course: event at the first score out of relief after relief began (or the
  first score when it never began), censored at the last score in relief;
  time in calendar months with the part month as a fraction;
- Kaplan-Meier product limit, at risk = courses lasting at least t.

On SQLite and PostgreSQL (the ``backend`` fixture). The plot's at-risk row
(embedded as JSON beside the figure) must equal the table's at-risk cells.
"""

from __future__ import annotations

import calendar
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from tests.clinic.conftest import TEST_SECRET, TestClient
from tests.clinic.factories import make_patient, make_specialist, make_user

from rhizo.clinic.block.models import BlockAgent, BlockType, DiagnosticBlock
from rhizo.clinic.core.auth.models import Role
from rhizo.clinic.core.auth.security import create_access_token
from rhizo.clinic.core.common import Region, Side
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.deps import get_session
from rhizo.clinic.followup.models import FollowUp, FollowUpSource
from rhizo.clinic.outcomes.cache import SnapshotCache
from rhizo.clinic.outcomes.snapshot import compute_snapshot
from rhizo.clinic.plan.models import Sedation
from rhizo.clinic.procedure.models import Procedure, ProcedureStatus, Technique
from rhizo.clinic.web import session as web_session
from rhizo.clinic.web.app import create_web_app

LONDON = ZoneInfo("Europe/London")


# --- the rules, written out here ------------------------------------------------------


def plus_months(day: date, n: int) -> date:
    index = day.month - 1 + n
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def fraction_months(day: date, on: date) -> float:
    n = 0
    while plus_months(day, n + 1) <= on:
        n += 1
    start, end = plus_months(day, n), plus_months(day, n + 1)
    return n + (on - start).days / (end - start).days


def relieved(baseline: int, nrs: int) -> bool:
    return 100 * (baseline - nrs) >= 50 * baseline


@dataclass
class Row:
    """One seeded procedure as this test sees it."""

    id: int
    patient: int
    performer: int
    day: date
    baseline: int | None = None
    scores: list[tuple[date, int, int | None, int]] = field(
        default_factory=list
    )  # day, nrs, pgic, id


@dataclass
class Seeded:
    a: int
    b: int
    rows: list[Row]
    today: date


def _baseline(
    day: date, scores: list[tuple[date, int, int]], blocks: list[tuple[date, int | None, int, int]]
) -> int | None:
    block_days = {b[0] for b in blocks}
    before = [
        s for s in scores if day - timedelta(days=90) <= s[0] < day and s[0] not in block_days
    ]
    if before:
        return max(before, key=lambda s: (s[0], s[2]))[1]
    positive = [b for b in blocks if b[0] <= day and b[1] is not None and b[2] >= 50]
    if positive:
        return max(positive, key=lambda b: (b[0], b[3]))[1]
    return None


def _review(row: Row, months: int, today: date) -> tuple[str, int | None]:
    """(status, pgic of the counted score)."""
    target = plus_months(row.day, months)
    inside = [s for s in row.scores if row.day < s[0] <= today and abs((s[0] - target).days) <= 30]
    best = min(
        inside,
        key=lambda s: (abs((s[0] - target).days), s[0] > target, s[3]),
        default=None,
    )
    pgic = None if best is None else best[2]
    if row.baseline is None or row.baseline == 0:
        return "no_baseline", pgic
    if best is None:
        return ("pending" if today <= target + timedelta(days=30) else "missing"), pgic
    positive = pgic is None or pgic <= 2
    responder = relieved(row.baseline, best[1]) and positive
    return ("responder" if responder else "non_responder"), pgic


def _course(row: Row) -> tuple[float, bool, bool] | None:
    """(months, ended, relieved) or None when not assessable."""
    after = sorted((s for s in row.scores if s[0] > row.day), key=lambda s: (s[0], s[3]))
    if not row.baseline or not after:
        return None
    onset = None
    for on, nrs, _, _ in after:
        if relieved(row.baseline, nrs):
            onset = onset or on
        elif onset is not None:
            return fraction_months(row.day, on), True, True
    if onset is None:
        return fraction_months(row.day, after[0][0]), True, False
    return fraction_months(row.day, after[-1][0]), False, True


def _km(courses: list[tuple[float, bool, bool]]) -> dict[str, Any]:
    times = sorted({t for t, _, _ in courses})
    s, curve = 1.0, []
    for t in times:
        n = sum(1 for c in courses if c[0] >= t)
        d = sum(1 for c in courses if c[0] == t and c[1])
        s *= 1 - d / n
        curve.append((t, s))

    def at(t: float) -> float:
        return min((v for time, v in curve if time <= t), default=1.0)

    median = next((time for time, v in curve if v <= 0.5), None)
    return {
        "at": {m: at(m) for m in (3, 6, 12)},
        "at_risk": {m: sum(1 for c in courses if c[0] >= m) for m in (0, 3, 6, 9, 12, 18, 24)},
        "median": median,
        "n": len(courses),
        "ended": sum(1 for c in courses if c[1]),
    }


# --- the registry ------------------------------------------------------------------------


def _at(local: datetime) -> datetime:
    return local.replace(tzinfo=LONDON).astimezone(UTC)


@pytest.fixture
def seeded(session: Session) -> Seeded:
    rng = random.Random(20261201)
    today = datetime.now(LONDON).date()
    a = make_specialist(session, display_name="Dr Alpha").id
    b = make_specialist(session, display_name="Dr Beta").id
    # Procedure times (London): month ends, 00:30 local (the UTC day before in
    # summer), 23:30 in winter (same day), a leap day, and recent ones (windows open).
    moments = [
        datetime(2025, 7, 1, 0, 30),  # 30 June 23:30 UTC: the clinic day is 1 July
        datetime(2025, 1, 31, 10, 0),  # +3 months = 30 April, +6 = 31 July
        datetime(2024, 11, 30, 14, 0),  # +3 months = 28 February
        datetime(2024, 2, 29, 9, 0),  # leap day
        datetime(2025, 3, 30, 0, 30),  # the spring-forward day (UTC 29 March 23:30... GMT)
        datetime(2025, 10, 26, 0, 30),  # the autumn day: 25 October 23:30 UTC
        datetime(2024, 12, 31, 23, 30),
    ]
    moments += [
        datetime(2024, 1, 1, 9) + timedelta(days=rng.randrange(0, 700), hours=rng.randrange(0, 24))
        for _ in range(25)
    ]
    moments += [
        datetime.combine(today - timedelta(days=d), datetime.min.time()) + timedelta(hours=10)
        for d in (20, 100)
    ]
    rows: list[Row] = []
    # Two hand-made edges, procedure at 00:30 BST on 1 July (30 June in UTC), baseline 8:
    # a responder score on 31 October (the last day of the London 3-month window, the day
    # after the UTC one), and a course ending on 30 September (under 3 London months, at
    # risk at 3 months by the UTC day).
    for performer, scores in (
        (a, [(date(2025, 10, 31), 2)]),
        (a, [(date(2025, 8, 1), 1), (date(2025, 9, 30), 8)]),
    ):
        patient = make_patient(session)
        session.add(
            DiagnosticBlock(
                patient_id=patient.id,
                performed_on=date(2025, 6, 1),
                block_type=BlockType.MEDIAL_BRANCH,
                levels=["L4-L5"],
                side=Side.RIGHT,
                agent=BlockAgent.LIDOCAINE,
                volume_ml=0.5,
                baseline_nrs=8,
                relief_percent=80,
            )
        )
        procedure = Procedure(
            patient_id=patient.id,
            performer_id=performer,
            performed_at=_at(datetime(2025, 7, 1, 0, 30)),
            technique=Technique.CONVENTIONAL,
            region=Region.LUMBAR,
            side=Side.RIGHT,
            levels=["L4-L5"],
            sedation=Sedation.NONE,
            status=ProcedureStatus.COMPLETED,
        )
        session.add(procedure)
        session.flush()
        row = Row(procedure.id, patient.id, performer, date(2025, 7, 1), baseline=8)
        for on, nrs in scores:
            followup = FollowUp(
                patient_id=patient.id,
                procedure_id=procedure.id,
                followed_on=on,
                nrs=nrs,
                source=FollowUpSource.CLINIC,
            )
            session.add(followup)
            session.flush()
            row.scores.append((on, nrs, None, followup.id))
        rows.append(row)
    for n, local in enumerate(moments):
        patient = make_patient(session)
        performer = a if n % 3 else b
        day = local.date()  # the London date
        blocks: list[tuple[date, int | None, int, int]] = []
        for _ in range(rng.randrange(0, 3)):
            block = DiagnosticBlock(
                patient_id=patient.id,
                performed_on=day - timedelta(days=rng.randrange(0, 120)),
                block_type=BlockType.MEDIAL_BRANCH,
                levels=["L4-L5"],
                side=Side.RIGHT,
                agent=BlockAgent.LIDOCAINE,
                volume_ml=0.5,
                baseline_nrs=rng.choice([None, 0, 5, 6, 7, 8, 9]),
                relief_percent=rng.choice([30, 50, 80, 100]),
            )
            session.add(block)
            session.flush()
            blocks.append((block.performed_on, block.baseline_nrs, block.relief_percent, block.id))
        procedure = Procedure(
            patient_id=patient.id,
            performer_id=performer,
            performed_at=_at(local),
            technique=Technique.CONVENTIONAL,
            region=Region.LUMBAR,
            side=Side.RIGHT,
            levels=["L4-L5"],
            sedation=Sedation.NONE,
            status=ProcedureStatus.COMPLETED,
        )
        session.add(procedure)
        session.flush()
        row = Row(procedure.id, patient.id, performer, day)
        all_scores: list[tuple[date, int, int]] = []
        later = sorted(rng.sample(range(1, 420), rng.randrange(0, 7)))
        for offset in [-rng.randrange(1, 100), *later]:
            on = day + timedelta(days=offset)
            if on > today:
                continue
            nrs = rng.randrange(0, 11)
            pgic = rng.choice([None, 1, 2, 3, 4, 6])
            linked = offset > 0 and rng.random() < 0.7
            followup = FollowUp(
                patient_id=patient.id,
                procedure_id=procedure.id if linked else None,
                followed_on=on,
                nrs=nrs,
                pgic=pgic,
                source=FollowUpSource.CLINIC if linked else FollowUpSource.DIARY,
            )
            session.add(followup)
            session.flush()
            all_scores.append((on, nrs, followup.id))
            if offset > 0:  # one procedure per patient: every later score is this one's
                row.scores.append((on, nrs, pgic, followup.id))
        row.baseline = _baseline(day, all_scores, blocks)
        rows.append(row)
    session.commit()
    return Seeded(a, b, rows, today)


@pytest.fixture
def pages(engine: Engine, session: Session) -> Iterator[TestClient]:
    settings = Settings(
        env="test",
        secret_key=TEST_SECRET,
        database_url="sqlite://",
        clinic_timezone="Europe/London",
    )
    app: FastAPI = create_web_app(settings, engine=engine)

    def _session() -> Iterator[Session]:
        yield session

    app.dependency_overrides[get_session] = _session
    app.state.outcome_cache = SnapshotCache(
        lambda as_of: compute_snapshot(session=session, as_of=as_of, zone=LONDON),
        max_age_s=0,
        background=False,
    )
    user = make_user(session, Role.CLINICIAN)
    # Signed in without the login form (its attempt rows use their own session, which
    # the test's open SQLite transaction would block): the cookie the login sets, and
    # the API's bearer token.
    cookie = URLSafeTimedSerializer(settings.secret, salt=web_session._SALT).dumps(
        {"u": user.id, "r": user.role.value, "c": "csrf", "e": user.session_epoch, "s": "full"}
    )
    token = create_access_token(
        user_id=user.id,
        role=user.role.value,
        session_epoch=user.session_epoch,
        secret=settings.secret,
        algorithm=settings.jwt_algorithm,
        expires_minutes=5,
    )
    with TestClient(app, raise_server_exceptions=True) as client:
        client.cookies.set(web_session.SESSION_COOKIE, cookie)
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def _cell(html: str, row_id: str) -> str:
    return html.split(f'id="{row_id}"')[1].split("</tr>")[0]


def _counts(text: str) -> list[tuple[int, int]]:
    return [(int(e), int(n)) for e, n in re.findall(r"(\d+)/(\d+)", text)]


def test_specialist_page_figures_equal_the_rows(seeded: Seeded, pages: TestClient) -> None:
    html = pages.get(f"/specialists/{seeded.a}").text
    for months in (3, 6):
        statuses = {
            who: [
                _review(r, months, seeded.today)[0]
                for r in seeded.rows
                if r.performer == who or who == 0
            ]
            for who in (seeded.a, 0)
        }
        expected = [
            (s.count("responder"), s.count("responder") + s.count("non_responder"))
            for s in (statuses[seeded.a], statuses[0])
        ]
        assert _counts(_cell(html, f"responders-{months}")) == expected, months
        pgic = [_review(r, months, seeded.today)[1] for r in seeded.rows if r.performer == seeded.a]
        clinic_pgic = [_review(r, months, seeded.today)[1] for r in seeded.rows]
        assert _counts(_cell(html, f"pgic-{months}")) == [
            (sum(1 for p in ps if p is not None and p <= 2), sum(1 for p in ps if p is not None))
            for ps in (pgic, clinic_pgic)
        ]
    own = [r for r in seeded.rows if r.performer == seeded.a]
    assert f'<td id="procedures">{len(own)}</td>' in html
    a_year_ago = plus_months(seeded.today, -12)
    assert f'<td id="procedures-12">{sum(1 for r in own if r.day > a_year_ago)}</td>' in html


def test_outcomes_page_and_api_equal_the_rows(seeded: Seeded, pages: TestClient) -> None:
    html = pages.get("/analytics?grouping=performer").text
    body = pages.get("/api/v1/analytics/durability?grouping=performer").json()
    api = {g["key"]: g for g in body["groups"]}
    data = json.loads(html.split('id="durability-data">')[1].split("</script>")[0])
    for who in (seeded.a, seeded.b):
        rows = [r for r in seeded.rows if r.performer == who]
        courses = [c for c in (_course(r) for r in rows) if c is not None]
        km = _km(courses)
        cells = _cell(html, f"row-{who}")
        # Courses and events.
        assert f"<td>{km['n']}</td><td>{km['ended']}</td>" in cells
        assert (api[str(who)]["courses"], api[str(who)]["ended"]) == (km["n"], km["ended"])
        # The curve at 3, 6, 12 months with its at-risk counts: table, API and plot data.
        shown = re.findall(
            r'class="km" data-months="(\d+)">([\d.]+) %.*?<span class="at-risk">(\d+)</span>', cells
        )
        assert [(int(m), float(p), int(n)) for m, p, n in shown] == [
            (m, round(100 * km["at"][m], 1), km["at_risk"][m]) for m in (3, 6, 12)
        ]
        assert [
            (c["months"], c["percent"], c["at_risk"]) for c in api[str(who)]["checkpoints"]
        ] == [(m, round(100 * km["at"][m], 1), km["at_risk"][m]) for m in (3, 6, 12)]
        assert data["at_risk"][str(who)] == {str(m): n for m, n in km["at_risk"].items()}
        for m, _, n in shown:
            assert data["at_risk"][str(who)][m] == int(n)  # the plot's numbers are the table's
        # One median per quantity.
        median = api[str(who)]["median_months"]
        assert (median is None and km["median"] is None) or median == pytest.approx(
            km["median"], abs=0.005
        )
        # Responders at 3 and 6 months: the same counts as the specialist page.
        for months in (3, 6):
            statuses = [_review(r, months, seeded.today)[0] for r in rows]
            expected = (
                statuses.count("responder"),
                statuses.count("responder") + statuses.count("non_responder"),
            )
            cell = re.search(rf'class="responders" data-months="{months}">(.*?)</td>', cells)
            assert cell is not None
            if expected[1]:
                assert _counts(cell.group(1)) == [expected]
            responders = next(r for r in api[str(who)]["responders"] if r["months"] == months)
            assert (responders["responders"], responders["assessable"]) == expected
    specialist = pages.get(f"/specialists/{seeded.a}").text
    analytics_cell = re.search(
        r'class="responders" data-months="6">(.*?)</td>', _cell(html, f"row-{seeded.a}")
    )
    assert analytics_cell is not None
    assert _counts(_cell(specialist, "responders-6"))[0] == _counts(analytics_cell.group(1))[0]


def test_the_registry_exercises_every_rule(seeded: Seeded) -> None:
    """The seeded rows reach every branch the figures distinguish (else the equalities
    above would hold trivially)."""
    statuses = [_review(r, 6, seeded.today)[0] for r in seeded.rows if r.performer == seeded.a]
    for status in ("responder", "non_responder", "missing", "no_baseline"):
        assert status in statuses, status
    assert "pending" in [_review(r, 3, seeded.today)[0] for r in seeded.rows]
    courses = [c for c in (_course(r) for r in seeded.rows) if c is not None]
    assert any(c[1] and c[2] for c in courses)  # relief lost
    assert any(c[1] and not c[2] for c in courses)  # never relieved
    assert any(not c[1] for c in courses)  # censored
    assert _km(courses)["at_risk"][3] > 0
    assert _km(courses)["at_risk"][12] > 0

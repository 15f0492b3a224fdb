"""The researcher's export reproduces the Outcomes page's 3- and 6-month responder figures.

The files are read back with nothing but the files (``csv``, ``pyarrow`` and
the zip's own ``data_dictionary.csv`` for the column types): no database, no
clinic code. The responder status is then computed per completed procedure
with the pathway's pure definitions (the baseline rule, the attribution rule,
"in relief", the PGIC criterion, the +-30-day window) and one selection of
the nearest score written here (a second implementation of
``rhizo.pathway.responder.nearest_in_window``, on day offsets), and compared
with what the Outcomes page and ``GET /api/v1/analytics/durability`` report:
per specialist and overall, responders and assessable at 3 and 6 months, and
the pending and missing counts.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import SecretStr

from rhizo.clinic.core.auth.models import User
from rhizo.clinic.core.auth.security import create_access_token
from rhizo.clinic.core.config import Settings
from rhizo.clinic.demo.seed import SeedReport
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.app import create_web_app
from rhizo.pathway.attribution import assign_reviews
from rhizo.pathway.baseline import BlockReading, baseline_for_procedure
from rhizo.pathway.relief import in_relief
from rhizo.pathway.responder import global_effect_positive
from rhizo.pathway.windows import WINDOW_DAYS
from tests.web.conftest import login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

Tables = dict[str, list[dict[str, Any]]]
#: Any day: the baseline and attribution rules only compare days, so offsets from it
#: give the same answers as the real dates (the calendar-month review day is exported).
BASE = date(2000, 1, 1)


@pytest.fixture(scope="module")
def fresh_app(demo_db: tuple[str, SeedReport]) -> FastAPI:
    """A new app on the demo cohort: its outcome snapshot is computed now, on the data
    the export reads (the session app's snapshot may predate other tests' entries)."""
    url, _ = demo_db
    settings = Settings(
        database_url=url, env="test", secret_key=SecretStr("w" * 48), admin_totp_required=False
    )
    return create_web_app(settings, synthetic=True)


@pytest.fixture
def researcher(fresh_app: FastAPI, demo_db: tuple[str, SeedReport]) -> Iterator[TestClient]:
    with TestClient(fresh_app, raise_server_exceptions=False) as client:
        login(client, "demo-researcher", demo_db[1].passwords["demo-researcher"][1])
        yield client


def _bearer(app: FastAPI, username: str) -> dict[str, str]:
    settings = app.state.settings
    with app.state.session_factory() as session:
        user = session.scalars(sa.select(User).where(User.username == username)).one()
        token = create_access_token(
            user_id=user.id,
            role=user.role.value,
            session_epoch=user.session_epoch,
            secret=settings.secret,
            algorithm=settings.jwt_algorithm,
            expires_minutes=5,
        )
    return {"Authorization": f"Bearer {token}"}


# --- reading the files back, with the files alone ---------------------------------------


def _typed(value: str, kind: str) -> Any:
    if value == "":
        return None
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        assert value in ("true", "false"), value
        return value == "true"
    return value


def read_csv_zip(content: bytes) -> Tables:
    archive = zipfile.ZipFile(io.BytesIO(content))
    dictionary = list(csv.DictReader(io.StringIO(archive.read("data_dictionary.csv").decode())))
    kinds = {(row["table"], row["column"]): row["type"] for row in dictionary}
    tables: Tables = {}
    for name in archive.namelist():
        if name == "data_dictionary.csv":
            continue
        table = name.removesuffix(".csv")
        reader = csv.DictReader(io.StringIO(archive.read(name).decode("utf-8")))
        tables[table] = [
            {key: _typed(value, kinds[(table, key)]) for key, value in row.items()}
            for row in reader
        ]
    return tables


def read_parquet_zip(content: bytes) -> Tables:
    archive = zipfile.ZipFile(io.BytesIO(content))
    return {
        name.removesuffix(".parquet"): pq.read_table(io.BytesIO(archive.read(name))).to_pylist()
        for name in archive.namelist()
        if name.endswith(".parquet")
    }


# --- the responder figures from the tables ------------------------------------------------


def _day(offset: int) -> date:
    return BASE + timedelta(days=offset)


def _nearest(scores: list[tuple[int, int, int | None]], *, day: int, target: int) -> Any:
    """The score that counts: nearest the target within +-WINDOW_DAYS, after the procedure
    day; ties: the earlier day, then the first listed."""
    best, best_rank = None, 0
    for on, nrs, pgic in scores:
        if not (target - WINDOW_DAYS <= on <= target + WINDOW_DAYS) or on <= day:
            continue
        offset = on - target
        rank = abs(offset) * 2 + (1 if offset > 0 else 0)
        if best is None or rank < best_rank:
            best, best_rank = (on, nrs, pgic), rank
    return best


def responder_figures(tables: Tables) -> dict[str, dict[int, tuple[int, int, int, int]]]:
    """{performer pseudonym or 'all': {months: (responders, assessable, pending, missing)}}."""
    by_patient: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for table in ("procedures", "followups", "blocks"):
        for row in tables[table]:
            by_patient[row["research_id"]][table].append(row)
    counts: dict[str, dict[int, list[int]]] = defaultdict(lambda: {3: [0] * 4, 6: [0] * 4})
    for rows in by_patient.values():
        done = sorted(
            (p for p in rows["procedures"] if p["status"] == "completed"),
            key=lambda p: p["procedure_no"],
        )
        followups = sorted(rows["followups"], key=lambda f: f["followup_no"])
        blocks = sorted(rows["blocks"], key=lambda b: b["block_no"])
        owned = assign_reviews(
            [(p["procedure_no"], _day(p["day"])) for p in done],
            [(_day(f["day"]), f["nrs"], f["linked_procedure_no"], f["pgic"]) for f in followups],
        )
        for p in done:
            baseline = baseline_for_procedure(
                day=_day(p["day"]),
                scores=[(_day(f["day"]), f["nrs"]) for f in followups],
                blocks=[
                    BlockReading(_day(b["day"]), b["baseline_nrs"], b["relief_percent"])
                    for b in blocks
                ],
            )
            # The exported derived column is the rule applied to the exported rows.
            assert p["baseline_nrs"] == (None if baseline is None else baseline.nrs)
            scores = [((on - BASE).days, nrs, pgic) for on, nrs, pgic in owned[p["procedure_no"]]]
            for months in (3, 6):
                if baseline is None or baseline.nrs == 0:
                    continue  # no baseline: not assessable, not pending, not missing
                chosen = _nearest(scores, day=p["day"], target=p[f"review_{months}m_day"])
                if chosen is None:
                    slot = 3 if p[f"review_{months}m_closed"] else 2
                else:
                    _, nrs, pgic = chosen
                    relieved = in_relief(baseline.nrs, nrs) and (
                        pgic is None or global_effect_positive(pgic)
                    )
                    slot = 0 if relieved else 1
                for key in (p["performer"], "all"):
                    tally = counts[key][months]
                    if slot == 0:
                        tally[0] += 1
                    if slot in (0, 1):
                        tally[1] += 1
                    if slot >= 2:
                        tally[slot] += 1
    return {key: {m: tuple(v) for m, v in per.items()} for key, per in counts.items()}  # type: ignore[misc]


def _pseudonym(specialist_id: int, key: str) -> str:
    # Written here from the documented definition, not imported from the service.
    return hmac.new(
        key.encode(), f"specialist:{specialist_id}".encode(), hashlib.sha256
    ).hexdigest()[:16]


def _page_counts(html: str) -> dict[str, dict[int, tuple[int, int]]]:
    """{row id: {months: (responders, assessable)}} from the Outcomes page's table."""
    found: dict[str, dict[int, tuple[int, int]]] = {}
    for row_id, body in re.findall(r'<tr id="row-([^"]+)">(.*?)</tr>', html, re.S):
        cells = re.findall(
            r'class="responders" data-months="(\d+)">(?:.*?class="counts">(\d+)/(\d+)<)?', body
        )
        found[row_id] = {int(m): (int(r or 0), int(a or 0)) for m, r, a in cells}
    return found


# --- the tests ---------------------------------------------------------------------------------


def test_the_export_alone_reproduces_the_outcomes_figures(
    researcher: TestClient, fresh_app: FastAPI
) -> None:
    response = researcher.get("/research/export-csv.zip")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    tables = read_csv_zip(response.content)
    mine = responder_figures(tables)

    api = researcher.get(
        "/api/v1/analytics/durability?grouping=performer",
        headers=_bearer(fresh_app, "demo-researcher"),
    )
    assert api.status_code == 200, api.text
    key = fresh_app.state.settings.pseudonym_secret
    groups = api.json()["groups"]
    assert len(groups) >= 2, "the demo cohort has outcomes for at least two specialists"
    page_by = _page_counts(researcher.get("/analytics?grouping=performer").text)
    judged = 0
    for group in groups:
        pseudonym = _pseudonym(int(group["key"]), key)
        for r in group["responders"]:
            months = r["months"]
            expected = (r["responders"], r["assessable"], r["pending"], r["missing"])
            assert mine[pseudonym][months] == expected, (group["label"], months)
            assert page_by[group["key"]][months] == expected[:2]
            judged += r["assessable"]
    assert judged > 0, "no assessable review: the comparison would prove nothing"

    overall = researcher.get(
        "/api/v1/analytics/durability", headers=_bearer(fresh_app, "demo-researcher")
    ).json()["overall"]
    page_all = _page_counts(researcher.get("/analytics").text)["all"]
    for r in overall["responders"]:
        expected = (r["responders"], r["assessable"], r["pending"], r["missing"])
        assert mine["all"][r["months"]] == expected, r["months"]
        assert page_all[r["months"]] == expected[:2]


def test_parquet_and_json_carry_the_csvs_rows(researcher: TestClient, fresh_app: FastAPI) -> None:
    from_csv = read_csv_zip(researcher.get("/research/export-csv.zip").content)
    parquet = researcher.get("/research/export-parquet.zip")
    assert parquet.status_code == 200
    assert read_parquet_zip(parquet.content) == from_csv
    items = researcher.get(
        "/api/v1/research/cases?limit=200", headers=_bearer(fresh_app, "demo-researcher")
    ).json()["items"]
    from_json: Tables = {name: [] for name in from_csv}
    for item in items:
        from_json["patients"].append({k: v for k, v in item.items() if not isinstance(v, list)})
        for name, rows in item.items():
            if isinstance(rows, list):
                from_json[name].extend(rows)
    assert from_json == from_csv
    # Everything the Outcomes page uses is there.
    procedure, lesion = from_csv["procedures"][0], from_csv["lesions"][0]
    for column in ("performer", "baseline_nrs", "review_3m_day", "review_6m_day", "day"):
        assert column in procedure
    for column in ("target_nerve", "side", "gauge", "tip_length_mm", "set_temperature_c"):
        assert column in lesion
    for column in ("duration_s", "placement", "predicted_capture_probability"):
        assert column in lesion
    assert {"baseline_nrs", "relief_percent", "day"} <= set(from_csv["blocks"][0])
    assert {"nrs", "odi", "pgic", "days_after_procedure"} <= set(from_csv["followups"][0])
    assert "discharges" in from_csv
    assert "complications" in from_csv


def test_no_identifier_leaves_the_clinic(researcher: TestClient, fresh_app: FastAPI) -> None:
    content = researcher.get("/research/export-csv.zip").content
    archive = zipfile.ZipFile(io.BytesIO(content))
    text = "\n".join(
        archive.read(n).decode() for n in archive.namelist() if n != "data_dictionary.csv"
    )
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), "a calendar date was exported"
    with fresh_app.state.session_factory() as session:
        patients = session.scalars(sa.select(Patient)).all()
        specialists = session.scalars(sa.select(Specialist)).all()
        for p in patients:
            for value in (p.mrn, p.email, p.phone, p.postcode, p.given_name, p.family_name):
                if value and len(value) >= 3:
                    assert not re.search(rf"\b{re.escape(value)}\b", text), value
            assert str(p.id) not in {
                row["research_id"] for row in read_csv_zip(content)["patients"]
            }
        for s in specialists:
            assert s.display_name not in text
    tables = read_csv_zip(content)
    assert len(tables["patients"]) == len(patients)
    for row in tables["patients"]:
        assert re.fullmatch(r"[0-9a-f]{20}", row["research_id"])
        # Ten-year bands 0-9 ... 80-89 and the pooled 90+ (other tests register young patients).
        assert re.fullmatch(r"0-9|[1-8]0-[1-8]9|90\+", row["age_band"])
        if row["age_band"] != "90+":
            low, high = (int(part) for part in row["age_band"].split("-"))
            assert high == low + 9
    # The performer pseudonym is the keyed hash (stable for one key), never an id.
    expected = {_pseudonym(s.id, fresh_app.state.settings.pseudonym_secret) for s in specialists}
    assert {p["performer"] for p in tables["procedures"]} <= expected


def test_every_patient_exported_is_audited_with_the_format(
    researcher: TestClient, fresh_app: FastAPI
) -> None:
    from rhizo.clinic.core.audit.models import AuditAction, AuditEvent

    with fresh_app.state.session_factory() as session:
        before = session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
        patients = session.scalar(sa.select(sa.func.count(Patient.id)))
    assert researcher.get("/research/export-parquet.zip").status_code == 200
    with fresh_app.state.session_factory() as session:
        rows = session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.id > before, AuditEvent.action == AuditAction.EXPORT
            )
        ).all()
    assert len(rows) == patients
    assert {r.details.get("format") for r in rows} == {"parquet"}
    assert {r.actor_username for r in rows} == {"demo-researcher"}


def test_the_dictionary_page_and_docs_list_every_column(researcher: TestClient) -> None:
    from pathlib import Path

    from rhizo.clinic.research.dictionary import dictionary, markdown

    page = researcher.get("/research")
    assert page.status_code == 200
    columns = dictionary()
    for c in columns:
        assert f'data-column="{c.name}"' in page.text
        assert c.meaning
        assert c.source
        assert c.type in ("integer", "number", "string", "boolean")
    assert len(columns) == sum(1 for _ in re.finditer(r"<tr data-column=", page.text))
    docs = Path(__file__).resolve().parents[2] / "docs" / "research-export.md"
    assert markdown() in docs.read_text(), "docs/research-export.md: regenerate the dictionary"

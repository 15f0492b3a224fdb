"""The auditor's audit-log page and its CSV: each filter, the clinic-day range, errors, chain.

The app here runs on New York's clock, so a day's edges are not UTC midnight:
the probe rows sit one microsecond either side of each edge, written out by
hand as UTC instants (the expected answers are not computed by the code under
test). 9 March 2025 is the day US clocks sprang forward (EST, UTC-5, until
02:00; EDT, UTC-4, after), so the range starts on a day with a DST change.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from pydantic import SecretStr

from rhizo.clinic.core.audit.chain import ChainBreak, ChainReport
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.config import Settings
from rhizo.clinic.demo.seed import SeedReport
from rhizo.clinic.web import audit_log
from rhizo.clinic.web.app import create_web_app
from tests.web.conftest import login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

#: Written independently of audit_log.CSV_COLUMNS (a changed header must fail here).
HEADER = (
    "seq,ts,actor_username,actor_role,action,entity_type,entity_id,patient_id,"
    "request_id,ip,details,row_hash"
)
#: Probe instants around New York's 9 and 11 March 2025 (UTC), and whether each is inside
#: the range from=2025-03-09 to=2025-03-11.
EDGES = {
    "before": (datetime(2025, 3, 9, 4, 59, 59, 999999, tzinfo=UTC), False),  # 8 Mar 23:59 EST
    "first": (datetime(2025, 3, 9, 5, 0, tzinfo=UTC), True),  # 9 Mar 00:00 EST
    "last": (datetime(2025, 3, 12, 3, 59, 59, 999999, tzinfo=UTC), True),  # 11 Mar 23:59 EDT
    "after": (datetime(2025, 3, 12, 4, 0, tzinfo=UTC), False),  # 12 Mar 00:00 EDT
}


@pytest.fixture(scope="module")
def ny_app(demo_db: tuple[str, SeedReport]) -> FastAPI:
    settings = Settings(
        database_url=demo_db[0],
        env="test",
        secret_key=SecretStr("w" * 48),
        admin_totp_required=False,
        clinic_timezone="America/New_York",
    )
    return create_web_app(settings, synthetic=True)


@pytest.fixture
def auditor(ny_app: FastAPI, demo_db: tuple[str, SeedReport]) -> Iterator[TestClient]:
    with TestClient(ny_app, raise_server_exceptions=False) as client:
        login(client, "demo-auditor", demo_db[1].passwords["demo-auditor"][1])
        yield client


def _probe(app: FastAPI, rows: list[dict[str, object]]) -> list[int]:
    """Append audit rows (chained as any row is) and return their seq numbers."""
    with app.state.session_factory() as session:
        events = [
            AuditEvent(
                actor_id=None,
                actor_username=str(row["user"]),
                actor_role="auditor",
                action=row.get("action", AuditAction.READ),
                entity_type="probe",
                entity_id=None,
                patient_id=row.get("patient"),
                request_id=None,
                ip=None,
                details={},
                ts=row.get("ts", datetime.now(UTC)),
            )
            for row in rows
        ]
        session.add_all(events)
        session.commit()
        return [e.seq for e in events]


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'<tr data-seq="(\d+)">', html)]


def test_the_date_range_includes_both_clinic_days(auditor: TestClient, ny_app: FastAPI) -> None:
    user = f"probe-{uuid.uuid4().hex[:8]}"
    seqs = _probe(ny_app, [{"user": user, "ts": ts} for ts, _ in EDGES.values()])
    by_name = dict(zip(EDGES, seqs, strict=True))
    inside = sorted((by_name[k] for k, (_, keep) in EDGES.items() if keep), reverse=True)

    page = auditor.get(f"/audit?user={user}&from=2025-03-09&to=2025-03-11")
    assert page.status_code == 200
    assert _seqs(page.text) == inside  # newest first: seq descending
    one_day = auditor.get(f"/audit?user={user}&from=2025-03-09&to=2025-03-09")
    assert _seqs(one_day.text) == [by_name["first"]]
    last_day = auditor.get(f"/audit?user={user}&from=2025-03-11&to=2025-03-11")
    assert _seqs(last_day.text) == [by_name["last"]]
    open_start = auditor.get(f"/audit?user={user}&to=2025-03-08")
    assert _seqs(open_start.text) == [by_name["before"]]
    open_end = auditor.get(f"/audit?user={user}&from=2025-03-12")
    assert _seqs(open_end.text) == [by_name["after"]]

    download = auditor.get(f"/audit.csv?user={user}&from=2025-03-09&to=2025-03-11")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    lines = download.text.splitlines()
    assert lines[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert [int(r["seq"]) for r in rows] == inside
    assert {r["ts"] for r in rows} == {
        "2025-03-09T05:00:00.000000+00:00",
        "2025-03-12T03:59:59.999999+00:00",
    }
    assert {r["actor_username"] for r in rows} == {user}


def test_each_filter_field(auditor: TestClient, ny_app: FastAPI) -> None:
    tag = uuid.uuid4().hex[:8]
    a, b = f"probe-a-{tag}", f"probe-b-{tag}"
    seqs = _probe(
        ny_app,
        [
            {"user": a, "patient": 990001, "action": AuditAction.READ},
            {"user": a, "patient": 990002, "action": AuditAction.DENIED},
            {"user": b, "patient": 990001, "action": AuditAction.DENIED},
        ],
    )
    assert _seqs(auditor.get(f"/audit?user={a}").text) == [seqs[1], seqs[0]]
    assert _seqs(auditor.get(f"/audit?user={b}").text) == [seqs[2]]
    assert _seqs(auditor.get(f"/audit?user={a}&patient=990001").text) == [seqs[0]]
    assert _seqs(auditor.get(f"/audit?user={a}&action=denied").text) == [seqs[1]]
    both = auditor.get("/audit?patient=990001&action=denied").text
    assert seqs[2] in _seqs(both)
    assert seqs[0] not in _seqs(both)
    assert seqs[1] not in _seqs(both)
    csv_rows = list(csv.DictReader(io.StringIO(auditor.get(f"/audit.csv?user={a}").text)))
    assert [(int(r["seq"]), r["patient_id"], r["action"]) for r in csv_rows] == [
        (seqs[1], "990002", "denied"),
        (seqs[0], "990001", "read"),
    ]


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("patient=abc", "patient", "whole number from 1"),
        ("patient=0", "patient", "whole number from 1"),
        ("patient=-3", "patient", "whole number from 1"),
        ("action=bogus", "action", "one of create, read"),
        ("from=2025-02-30", "from", "YYYY-MM-DD"),
        ("to=yesterday", "to", "YYYY-MM-DD"),
        ("from=2025-03-02&to=2025-03-01", "to", "on or after"),
        ("page=0", "page", "whole number from 1"),
        (f"user={'x' * 65}", "user", "at most 64"),
    ],
)
def test_a_bad_filter_is_named_inline(
    auditor: TestClient, query: str, field: str, words: str
) -> None:
    page = auditor.get(f"/audit?{query}")
    assert page.status_code == 422
    match = re.search(rf'<span class="field-error" id="{field}-error">([^<]*)</span>', page.text)
    assert match is not None, page.text[-2000:]
    assert words in match.group(1)
    assert "<tr data-seq=" not in page.text  # nothing read
    download = auditor.get(f"/audit.csv?{query}")
    assert download.status_code == 422
    assert download.text.startswith(f"Not downloaded: {field}: ")


def test_boundary_dates_are_valid_filters(auditor: TestClient) -> None:
    # The same day for both ends is a range of one day, not "to before from".
    assert auditor.get("/audit?from=2025-03-01&to=2025-03-01").status_code == 200
    assert auditor.get("/audit?from=2024-02-29").status_code == 200  # a leap day


def test_pages_of_fifty_newest_first(auditor: TestClient, ny_app: FastAPI) -> None:
    user = f"probe-page-{uuid.uuid4().hex[:8]}"
    seqs = _probe(ny_app, [{"user": user} for _ in range(55)])
    first = auditor.get(f"/audit?user={user}")
    assert _seqs(first.text) == sorted(seqs, reverse=True)[:50]
    assert "page 1 of 2" in first.text
    second = auditor.get(f"/audit?user={user}&page=2")
    assert _seqs(second.text) == sorted(seqs, reverse=True)[50:]
    assert 'rel="prev"' in second.text
    every = list(csv.DictReader(io.StringIO(auditor.get(f"/audit.csv?user={user}").text)))
    assert [int(r["seq"]) for r in every] == sorted(seqs, reverse=True)  # all 55, not a page


def test_viewing_and_downloading_are_audited(auditor: TestClient, ny_app: FastAPI) -> None:
    user = f"probe-{uuid.uuid4().hex[:8]}"
    with ny_app.state.session_factory() as session:
        before = session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    auditor.get(f"/audit?user={user}&action=read")
    auditor.get(f"/audit.csv?user={user}&from=2025-01-01")
    with ny_app.state.session_factory() as session:
        rows = session.scalars(
            sa.select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)
        ).all()
    mine = [r for r in rows if r.actor_username == "demo-auditor" and r.entity_type == "audit_log"]
    assert [r.action for r in mine] == [AuditAction.READ, AuditAction.EXPORT]
    assert mine[0].details["filters"] == {"actor_username": user, "action": "read"}
    assert mine[1].details == {
        "filters": {"actor_username": user, "from": "2025-01-01"},
        "format": "csv",
    }


def test_the_page_says_whether_the_chain_verifies(
    auditor: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = auditor.get("/audit")
    assert 'data-intact="true"' in page.text
    assert "The hash chain verifies" in page.text
    broken = ChainReport(
        rows=4, head_seq=4, head_hash="0" * 64, broken=ChainBreak(7, 5, "the row was altered")
    )
    monkeypatch.setattr(
        audit_log,
        "check_chain",
        lambda session, state, full: audit_log.ChainStatus(broken, 0.01, full, 0, None),
    )
    page = auditor.get("/audit")
    assert 'data-intact="false"' in page.text
    assert "entry 5 (id 7): the row was altered" in page.text


def test_a_formula_cell_is_defused() -> None:
    row = AuditEvent(
        seq=1,
        ts=datetime(2025, 1, 1, tzinfo=UTC),
        actor_username="=HYPERLINK(1)",
        action=AuditAction.READ,
        entity_type="probe",
        details={},
        row_hash="a" * 64,
    )
    (parsed,) = csv.reader(io.StringIO(audit_log.csv_line(row)))
    assert parsed[2] == "'=HYPERLINK(1)"
    assert parsed[1] == "2025-01-01T00:00:00.000000+00:00"


def test_a_check_resumed_from_a_verified_head_finds_what_a_full_check_finds() -> None:
    from rhizo.clinic.core.audit.chain import check_rows
    from tests.clinic.test_audit_chain import _chain

    rows = _chain(6)
    full = check_rows(rows)
    resumed = check_rows(rows[3:], after_seq=3, after_hash=rows[2]["row_hash"])
    assert resumed.intact
    assert (resumed.rows, resumed.head_seq, resumed.head_hash) == (
        full.rows,
        full.head_seq,
        full.head_hash,
    )
    wrong_head = check_rows(rows[3:], after_seq=3, after_hash=rows[1]["row_hash"]).broken
    assert wrong_head is not None
    assert wrong_head.seq == 4
    altered = [dict(r) for r in rows[3:]]
    altered[1]["patient_id"] = 41
    broken = check_rows(altered, after_seq=3, after_hash=rows[2]["row_hash"]).broken
    assert broken is not None
    assert broken.seq == 5
    assert "altered" in broken.reason
    gap = check_rows(rows[4:], after_seq=3, after_hash=rows[2]["row_hash"]).broken
    assert gap is not None
    assert "missing" in gap.reason


def test_the_page_checks_in_full_first_then_the_new_entries(
    auditor: TestClient, ny_app: FastAPI
) -> None:
    if hasattr(ny_app.state, "audit_chain_checkpoint"):
        del ny_app.state.audit_chain_checkpoint
    first = auditor.get("/audit")
    assert 'data-intact="true" data-full="true"' in first.text
    _probe(ny_app, [{"user": "probe-chain"}, {"user": "probe-chain"}])
    second = auditor.get("/audit")
    assert 'data-intact="true" data-full="false"' in second.text
    # The first view's audit row and the two probes were checked now.
    assert "the 3 after them were checked now" in second.text
    again = auditor.get("/audit?verify=full")
    assert 'data-intact="true" data-full="true"' in again.text

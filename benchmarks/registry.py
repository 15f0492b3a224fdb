"""Registry latency at 100,000 synthetic patients: the API and the web pages.

Fills a fresh database (SQLite file and/or PostgreSQL) by bulk inserts with a
synthetic clinic: 12 specialists with qualifications; per patient a condition,
physiotherapy, two medial-branch blocks carrying the baseline NRS, and 0-2 RF
procedures with lesions, reviews at 14 days and 1, 3, 6 and 12 months (dates
jittered, some missed) whose NRS and PGIC follow the relief drawn from
Streitberger 2011's durability curve, unlinked diary scores for one patient in
ten, and complications in about 6 % of procedures. Then it starts ``uvicorn``
(the web app: API and pages) on 127.0.0.1 in a subprocess and times sequential
requests from ``httpx`` clients (one connection each, bounded request count):

- ``GET /api/v1/patients?search=...`` (name prefixes drawn from the data) and
  ``GET /api/v1/patients/{id}`` (random ids) and its FHIR R4 export
  ``GET /api/v1/patients/{id}/fhir``, with a bearer token;
- the pages ``/patients/{id}`` (timeline, pain plot, candidacy),
  ``/specialists/{id}`` (outcome figures and plot) and ``/specialists``, with
  the cookie session of the web login form (CSRF cookie and field), and the
  outcomes page ``/analytics?grouping=performer`` (Kaplan-Meier curves).

It also times one outcome snapshot (the full pass behind the specialist
pages) in-process, and the first specialist page, which computes it. It
prints a table and writes ``benchmarks/results/registry.json``. Every request
is a real authenticated, audited request (each writes an audit row).

    python benchmarks/registry.py                       # 100,000 patients, both databases
    python benchmarks/registry.py --patients 2000 --backends sqlite   # quick look

PostgreSQL comes from ``RHIZO_BENCH_POSTGRES_URL`` or ``RHIZO_TEST_POSTGRES_URL``
(``source scripts/postgres.sh``); the benchmark creates and drops its own
database ``rhizo_bench`` on that server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from faker import Faker

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.condition.models import CareTrial, Condition
from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.auth.security import hash_password
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.durability import draw_relief_weeks
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.outcomes.durability import Grouping, analyse
from rhizo.clinic.outcomes.snapshot import compute_snapshot
from rhizo.clinic.patient.models import Patient, search_key
from rhizo.clinic.procedure.models import Lesion, Procedure
from rhizo.clinic.specialist.models import Specialist

try:
    from benchmarks import _live
except ModuleNotFoundError:  # run as a script: this folder is first on sys.path
    import _live  # type: ignore[import-not-found,no-redef]

RESULTS = Path(__file__).with_name("results") / "registry.json"
SECRET = "benchmark-only-secret-" + "b" * 32
PASSWORD = "benchmark password"  # noqa: S105 - a throw-away benchmark user
BATCH = 5_000


def _batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


#: Specialists of the synthetic clinic: (specialty, board, fellowship, years, early success).
#: Early success varies around Streitberger 2011's 76 % so the pages show differences.
SPECIALISTS: tuple[tuple[str, str, str | None, int, float], ...] = (
    ("Pain medicine", "ABA Pain Medicine", "Interventional pain", 18, 0.80),
    ("Anaesthesiology", "ABA Anesthesiology", "Pain medicine", 9, 0.76),
    ("Physical medicine", "ABPMR", "Interventional spine", 14, 0.78),
    ("Neurosurgery", "ABNS", None, 22, 0.72),
    ("Pain medicine", "ABA Pain Medicine", "Interventional pain", 4, 0.70),
    ("Radiology", "ABR", "Neuroradiology", 11, 0.74),
    ("Anaesthesiology", "ABA Anesthesiology", None, 27, 0.79),
    ("Pain medicine", "ABA Pain Medicine", "Interventional pain", 6, 0.75),
    ("Physical medicine", "ABPMR", None, 15, 0.77),
    ("Anaesthesiology", "ABA Anesthesiology", "Pain medicine", 2, 0.68),
    ("Pain medicine", "ABA Pain Medicine", "Interventional pain", 31, 0.82),
    ("Neurosurgery", "ABNS", "Functional neurosurgery", 12, 0.76),
)
#: Days after a procedure of the scheduled reviews (14 days, 1, 3, 6, 12 months).
REVIEW_DAYS = (14, 30, 91, 182, 365)
COMPLICATION_TYPES = ("neuritis", "localized_pain", "numbness", "dysaesthesia")


def _pgic(relief: float) -> int:
    """PGIC from relief, as the demo seed does (much improved from 50 % relief)."""
    return 1 if relief >= 0.7 else 2 if relief >= 0.5 else 3 if relief >= 0.3 else 4


def _patient_rows(
    rng: random.Random,
    fake: Faker,
    index: int,
    now: datetime,
    counts: dict[str, int],
    rows: dict[str, list[dict[str, Any]]],
) -> None:
    """One patient: a condition, physiotherapy, two blocks with the baseline NRS, 0-2
    RF procedures with reviews at 14 d, 1, 3, 6 and 12 months (relief drawn from
    Streitberger 2011's durability curve), PGIC from the relief, complications in
    about 6 % of procedures, and for one patient in ten unlinked diary scores."""
    today = now.date()
    stamp = {"created_at": now, "updated_at": now}
    given, family = fake.first_name(), fake.last_name()
    pid = index + 1
    rows["patients"].append(
        {
            "id": pid,
            "mrn": f"SYN-{pid:07d}",
            "given_name": given,
            "family_name": family,
            "given_key": search_key(given),
            "family_key": search_key(family),
            "birth_date": date(1940, 1, 1) + timedelta(days=rng.randrange(20_000)),
            "sex": rng.choice(["female", "male"]),
            "synthetic": True,
            **stamp,
        }
    )
    n_procedures = rng.choice([0, 1, 1, 1, 2])
    first = today - timedelta(days=rng.randrange(30, 1500))
    seen = first - timedelta(days=rng.randint(35, 70))
    baseline = rng.randint(4, 9)
    rows["conditions"].append(
        {
            "patient_id": pid,
            "icd10_code": "M47.816",
            "description": "Spondylosis without myelopathy or radiculopathy, lumbar region",
            "onset_date": seen - timedelta(days=rng.randint(120, 1500)),
            "region": "lumbar",
            "side": "bilateral",
            "status": "active",
            **stamp,
        }
    )
    rows["care_trials"].append(
        {
            "patient_id": pid,
            "modality": "physiotherapy",
            "start_date": seen - timedelta(weeks=rng.randint(10, 20)),
            "end_date": seen - timedelta(weeks=1),
            "relief_percent": rng.randint(0, 30),
            **stamp,
        }
    )
    for n, days in enumerate((0, 14)):
        rows["blocks"].append(
            {
                "patient_id": pid,
                "performed_on": seen + timedelta(days=days),
                "block_type": "medial_branch",
                "levels": ["L4-L5", "L5-S1"],
                "side": "bilateral",
                "agent": "lidocaine" if n == 0 else "bupivacaine",
                "volume_ml": 0.5,
                "baseline_nrs": baseline,
                "relief_percent": rng.randint(80, 100),
                "relief_hours": 2.0 if n == 0 else 6.0,
                **stamp,
            }
        )
    when = first
    for _ in range(n_procedures):
        if when >= today:
            break
        counts["procedures"] += 1
        proc_id = counts["procedures"]
        performer = rng.randint(1, len(SPECIALISTS))
        early_success = SPECIALISTS[performer - 1][4]
        rows["procedures"].append(
            {
                "id": proc_id,
                "patient_id": pid,
                "performer_id": performer,
                "performed_at": datetime(when.year, when.month, when.day, 9, tzinfo=UTC),
                "technique": "conventional",
                "region": "lumbar",
                "side": "bilateral",
                "levels": ["L4-L5", "L5-S1"],
                "sedation": "none",
                "status": "completed",
                **stamp,
            }
        )
        for ordinal in range(1, 5):
            rows["lesions"].append(
                {
                    "procedure_id": proc_id,
                    "ordinal": ordinal,
                    "target_nerve": "L4 medial branch",
                    "side": "right" if ordinal % 2 else "left",
                    "performed": True,
                    "gauge": 18,
                    "tip_length_mm": 10.0,
                    "set_temperature_c": 80.0,
                    "duration_s": 90.0,
                    "motor_response": "multifidus",
                    "sensory_response": "concordant",
                    "sensory_threshold_v": 0.3,
                    "motor_test_voltage_v": 2.0,
                    "local_anaesthetic_given": True,
                    "gate_proceed": True,
                    "gate_findings": [],
                }
            )
        success = rng.random() < early_success
        weeks = draw_relief_weeks(rng) if success else 0.0
        peak = rng.uniform(0.5, 0.9) if success else rng.uniform(0.0, 0.4)
        faded = rng.uniform(0.0, 0.3)
        for days in REVIEW_DAYS:
            on = when + timedelta(days=days + rng.randint(-7, 7))
            if on > today:
                break
            if rng.random() < 0.08:  # a missed review
                continue
            relief = peak if days / 7 <= weeks else min(faded, peak)
            nrs = max(0, min(10, round(baseline * (1 - relief) + rng.choice((-1, 0, 0, 1)))))
            rows["followups"].append(
                {
                    "patient_id": pid,
                    "procedure_id": proc_id,
                    "followed_on": on,
                    "nrs": nrs,
                    "odi": max(0, min(100, round(baseline * 5 * (1 - relief)))),
                    "pgic": _pgic(relief),
                    "source": "phone" if days == 14 else "clinic",
                    **stamp,
                }
            )
        if rng.random() < 0.1:
            for day in range(10, 200, 21):  # diary entries, not linked to the procedure
                on = when + timedelta(days=day)
                if on <= today:
                    rows["followups"].append(
                        {
                            "patient_id": pid,
                            "procedure_id": None,
                            "followed_on": on,
                            "nrs": rng.randint(1, 9),
                            "odi": None,
                            "pgic": None,
                            "source": "diary",
                            **stamp,
                        }
                    )
        if rng.random() < 0.06:
            onset = when + timedelta(days=rng.randint(1, 7))
            rows["complications"].append(
                {
                    "patient_id": pid,
                    "procedure_id": proc_id,
                    "type": rng.choice(COMPLICATION_TYPES),
                    "severity": "mild" if rng.random() < 0.8 else "moderate",
                    "onset_date": onset,
                    "resolved_on": onset + timedelta(days=rng.randint(10, 42)),
                    **stamp,
                }
            )
        when = when + timedelta(weeks=weeks + rng.randint(8, 20))


TABLES = (
    ("patients", Patient),
    ("conditions", Condition),
    ("care_trials", CareTrial),
    ("blocks", DiagnosticBlock),
    ("procedures", Procedure),
    ("lesions", Lesion),
    ("followups", FollowUp),
    ("complications", Complication),
)


def fill(url: str, n_patients: int, seed: int = 42) -> dict[str, int]:
    """Migrate ``url`` and bulk-insert the synthetic cohort; returns row counts."""
    migrate.upgrade(url)
    rng = random.Random(seed)
    fake = Faker()
    fake.seed_instance(seed)
    # Dates run back from today, because the pages' "as of" date is the server's today.
    now = datetime.combine(date.today(), datetime.min.time(), tzinfo=UTC)
    engine = create_db_engine(url)
    counts = dict.fromkeys((name for name, _ in TABLES), 0)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(User),
                [
                    {
                        "username": "bench",
                        "password_hash": hash_password(PASSWORD),
                        "role": Role.CLINICIAN,
                        "is_active": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                ],
            )
            specialists = [
                {
                    "display_name": f"Dr {fake.last_name()}",
                    "specialty": specialty,
                    "board_certification": board,
                    "fellowship": fellowship,
                    "years_in_practice": years,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for specialty, board, fellowship, years, _ in SPECIALISTS
            ]
            connection.execute(sa.insert(Specialist), specialists)
        procedures_so_far = {"procedures": 0}
        for start in range(0, n_patients, BATCH):
            size = min(BATCH, n_patients - start)
            rows: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in TABLES}
            for i in range(start, start + size):
                _patient_rows(rng, fake, i, now, procedures_so_far, rows)
            with engine.begin() as connection:
                for name, table in TABLES:
                    for chunk in _batches(rows[name]):
                        connection.execute(sa.insert(table), chunk)
                    counts[name] += len(rows[name])
            print(f"  {counts['patients']:>7} patients", end="\r", flush=True)
        print()
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                for table in ("patients", "procedures"):
                    # Explicit ids were inserted: move the sequences past them.
                    sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608, E501 - fixed table names
                    connection.exec_driver_sql(sql)
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return counts


SERVER = """
import sys, uvicorn
from rhizo.clinic.core.config import Settings
from rhizo.clinic.web.app import create_web_app
settings = Settings(env="production", secret_key=sys.argv[2],
                    pseudonym_key="pseudonym-" + sys.argv[2], database_url=sys.argv[1])
uvicorn.run(create_web_app(settings, synthetic=True), host="127.0.0.1", port=int(sys.argv[3]),
            log_level="warning", access_log=False)
"""
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: (result key, label in the table) of every timed endpoint, in order.
ENDPOINTS = (
    ("search", "GET /api/v1/patients?search="),
    ("read", "GET /api/v1/patients/{id}"),
    ("fhir", "GET /api/v1/patients/{id}/fhir"),
    ("patient_page", "GET /patients/{id} (page)"),
    ("specialist_page", "GET /specialists/{id} (page)"),
    ("specialists_page", "GET /specialists (page)"),
    ("analytics_page", "GET /analytics?grouping=performer (page)"),
)


def _web_login(client: httpx.Client) -> None:
    """Log in through the page form: the pre-login CSRF cookie and field, then the session."""
    page = client.get("/login")
    match = CSRF.search(page.text)
    if match is None:
        raise RuntimeError("the login page has no CSRF field")
    response = client.post(
        "/login", data={"username": "bench", "password": PASSWORD, "csrf_token": match.group(1)}
    )
    if response.status_code != 303:
        raise RuntimeError(f"web login failed: {response.status_code}")


def _summary(timings: list[float], n_requests: int) -> dict[str, Any]:
    return {
        "requests": n_requests,
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_live.percentile(timings, 0.95), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "max_ms": round(max(timings), 2),
    }


def snapshot_cost(url: str, repeats: int = 3) -> dict[str, Any]:
    """Seconds for one outcome snapshot (every performer), computed in this process."""
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    seconds = []
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            snapshot = compute_snapshot(session=session, as_of=date.today(), zone=UTC)
            seconds.append(time.perf_counter() - start)
    finally:
        session.close()
        engine.dispose()
    procedures = snapshot.procedures
    return {
        "procedures": procedures,
        "median_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
    }


def courses_cost(url: str, repeats: int = 3) -> dict[str, Any]:
    """Seconds to read every completed procedure's course (the durability analysis's pass)
    and to fit its Kaplan-Meier curves, in this process."""
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    load_s, analyse_s = [], []
    try:
        for _ in range(repeats):
            start = time.perf_counter()
            courses = compute_snapshot(session=session, as_of=date.today(), zone=UTC)
            load_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            analyse(courses, grouping=Grouping.PERFORMER, performer_names={})
            analyse_s.append(time.perf_counter() - start)
    finally:
        session.close()
        engine.dispose()
    return {
        "courses": len(courses.course_list()),
        "load_median_s": round(statistics.median(load_s), 3),
        "analyse_median_s": round(statistics.median(analyse_s), 3),
    }


def measure(url: str, n_patients: int, n_requests: int, seed: int = 7) -> dict[str, Any]:
    """Serve ``url`` on loopback and time the API endpoints and the pages."""
    port = _live.free_port()
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(seed)
    engine = create_db_engine(url)
    with engine.connect() as connection:
        families = (
            connection.execute(sa.select(Patient.family_key).order_by(Patient.id).limit(5000))
            .scalars()
            .all()
        )
    engine.dispose()
    prefixes = sorted({key[:3] for key in families if len(key) >= 3})
    command = [sys.executable, "-c", SERVER, url, SECRET, str(port)]
    with subprocess.Popen(command) as server:  # noqa: S603 - our own interpreter and script
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                for _ in range(200):
                    try:
                        client.get("/docs")
                        break
                    except httpx.TransportError:
                        time.sleep(0.1)
                token = client.post(
                    "/api/v1/auth/token", data={"username": "bench", "password": PASSWORD}
                ).json()
                client.headers["Authorization"] = f"Bearer {token['access_token']}"
                results: dict[str, Any] = {}
                cases = {
                    "search": lambda: f"/api/v1/patients?search={rng.choice(prefixes)}&limit=20",
                    "read": lambda: f"/api/v1/patients/{rng.randint(1, n_patients)}",
                    "fhir": lambda: f"/api/v1/patients/{rng.randint(1, n_patients)}/fhir",
                }
                for name, make_path in cases.items():
                    for _ in range(20):  # warm-up
                        client.get(make_path()).raise_for_status()
                    timings, hits = [], []
                    for _ in range(n_requests):
                        path = make_path()
                        start = time.perf_counter()
                        response = client.get(path)
                        timings.append((time.perf_counter() - start) * 1000)
                        response.raise_for_status()
                        if name == "search":
                            hits.append(response.json()["total"])
                        elif name == "fhir":
                            hits.append(len(response.json()["entry"]))
                    results[name] = _summary(timings, n_requests)
                    if hits:
                        key = "median_entries" if name == "fhir" else "median_matches"
                        results[name][key] = statistics.median(hits)
            # The pages, as a clinician's browser sees them: cookie session after the form login.
            with httpx.Client(base_url=base, timeout=120) as web:
                _web_login(web)
                # The first specialist page of the day computes the outcome snapshot.
                start = time.perf_counter()
                web.get("/specialists/1").raise_for_status()
                results["specialist_page_first_ms"] = round((time.perf_counter() - start) * 1000, 1)
                start = time.perf_counter()
                web.get("/analytics").raise_for_status()
                results["analytics_page_first_ms"] = round((time.perf_counter() - start) * 1000, 1)
                pages = {
                    "patient_page": lambda: f"/patients/{rng.randint(1, n_patients)}",
                    "specialist_page": lambda: f"/specialists/{rng.randint(1, len(SPECIALISTS))}",
                    "specialists_page": lambda: "/specialists",
                    "analytics_page": lambda: "/analytics?grouping=performer",
                }
                for name, make_path in pages.items():
                    for _ in range(20):  # warm-up
                        web.get(make_path()).raise_for_status()
                    timings = []
                    for _ in range(n_requests):
                        path = make_path()
                        start = time.perf_counter()
                        response = web.get(path)
                        timings.append((time.perf_counter() - start) * 1000)
                        response.raise_for_status()
                        if "<svg" not in response.text and name != "specialists_page":
                            raise RuntimeError(f"{path}: no plot on the page")
                    results[name] = _summary(timings, n_requests)
                return results
        finally:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    """Run the benchmark and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500, help="timed requests per endpoint")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    report: dict[str, Any] = {
        "benchmark": "registry",
        "patients": args.patients,
        "requests_per_endpoint": args.requests,
        "client": "httpx, one connection, sequential requests",
        "server": "uvicorn, one process, 127.0.0.1",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "backends": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            if backend == "sqlite":
                url: str | None = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
            elif backend == "postgres":
                url = _live.bench_postgres_url("rhizo_bench")
                if url is None:
                    print("postgres: no RHIZO_TEST_POSTGRES_URL; skipped")
                    continue
            else:
                parser.error(f"--backends: unknown backend {backend!r}")
            print(f"{backend}: filling {args.patients} patients")
            start = time.perf_counter()
            counts = fill(url, args.patients)
            fill_s = time.perf_counter() - start
            print(f"{backend}: filled in {fill_s:.1f} s; timing {args.requests} requests each")
            report["backends"][backend] = {
                "rows": counts,
                "fill_s": round(fill_s, 1),
                "outcome_snapshot": snapshot_cost(url),
                "durability_courses": courses_cost(url),
                **measure(url, args.patients, args.requests),
            }

    print(f"\n{'backend':<10} {'endpoint':<34} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for backend, result in report["backends"].items():
        for name, label in ENDPOINTS:
            r = result[name]
            print(f"{backend:<10} {label:<34} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['mean_ms']:>8}")
        print(
            f"{backend:<10} outcome snapshot {result['outcome_snapshot']['median_s']} s; "
            f"first specialist page {result['specialist_page_first_ms']} ms"
        )
        courses = result["durability_courses"]
        print(
            f"{backend:<10} durability: {courses['courses']} courses read in "
            f"{courses['load_median_s']} s, curves in {courses['analyse_median_s']} s; "
            f"first outcomes page {result['analytics_page_first_ms']} ms"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()

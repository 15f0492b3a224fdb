"""Registry latency: patient search and patient read at 100,000 synthetic patients.

Fills a fresh database (SQLite file and/or PostgreSQL) with synthetic patients,
procedures with lesions, and follow-ups by bulk inserts, starts ``uvicorn`` on
127.0.0.1 in a subprocess, and times sequential requests from an ``httpx``
client (one connection, bounded request count) to

- ``GET /api/v1/patients?search=...`` (name prefixes drawn from the data), and
- ``GET /api/v1/patients/{id}`` (random ids),

then prints a table and writes ``benchmarks/results/registry.json``. Every
request is a real authenticated, audited request (each writes an audit row).

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
import socket
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

from rhizo.clinic import migrate
from rhizo.clinic.auth.models import Role, User
from rhizo.clinic.auth.security import hash_password
from rhizo.clinic.database import create_db_engine
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.patient.models import Patient, search_key
from rhizo.clinic.procedure.models import Lesion, Procedure
from rhizo.clinic.specialist.models import Specialist

RESULTS = Path(__file__).with_name("results") / "registry.json"
SECRET = "benchmark-only-secret-" + "b" * 32
PASSWORD = "benchmark password"  # noqa: S105 - a throw-away benchmark user
BATCH = 5_000


def _batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


def fill(url: str, n_patients: int, seed: int = 42) -> dict[str, int]:
    """Migrate ``url`` and bulk-insert the synthetic cohort; returns row counts."""
    migrate.upgrade(url)
    rng = random.Random(seed)
    fake = Faker()
    fake.seed_instance(seed)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    engine = create_db_engine(url)
    counts = {"patients": 0, "procedures": 0, "lesions": 0, "followups": 0}
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(User), [{
                "username": "bench", "password_hash": hash_password(PASSWORD),
                "role": Role.ADMIN, "is_active": True, "created_at": now, "updated_at": now}])
            specialists = [{"display_name": f"Dr {fake.last_name()}", "active": True,
                            "created_at": now, "updated_at": now} for _ in range(12)]
            connection.execute(sa.insert(Specialist), specialists)
        for start in range(0, n_patients, BATCH):
            size = min(BATCH, n_patients - start)
            patients = []
            for i in range(start, start + size):
                given, family = fake.first_name(), fake.last_name()
                patients.append({
                    "id": i + 1, "mrn": f"SYN-{i + 1:07d}", "given_name": given,
                    "family_name": family, "given_key": search_key(given),
                    "family_key": search_key(family),
                    "birth_date": date(1940, 1, 1) + timedelta(days=rng.randrange(20_000)),
                    "sex": rng.choice(["female", "male"]), "synthetic": True,
                    "created_at": now, "updated_at": now,
                })
            procedures, lesions, followups = [], [], []
            for patient in patients:
                for _ in range(rng.choice([0, 1, 1, 1, 2])):
                    pid = counts["procedures"] + len(procedures) + 1
                    when = now - timedelta(days=rng.randrange(30, 1500))
                    procedures.append({
                        "id": pid, "patient_id": patient["id"], "performer_id": rng.randint(1, 12),
                        "performed_at": when, "technique": "conventional", "region": "lumbar",
                        "side": "right", "levels": ["L4-L5", "L5-S1"], "sedation": "none",
                        "status": "completed", "created_at": now, "updated_at": now,
                    })
                    for ordinal in range(1, 5):
                        lesions.append({
                            "procedure_id": pid, "ordinal": ordinal,
                            "target_nerve": "L4 medial branch", "side": "right",
                            "performed": True, "gauge": 18, "tip_length_mm": 10.0,
                            "set_temperature_c": 80.0, "duration_s": 90.0,
                            "motor_response": "multifidus", "sensory_response": "concordant",
                            "sensory_threshold_v": 0.3, "local_anaesthetic_given": True,
                            "gate_proceed": True, "gate_findings": [],
                        })
                    for months in (1, 3, 6):
                        followups.append({
                            "patient_id": patient["id"], "procedure_id": pid,
                            "followed_on": (when + timedelta(days=30 * months)).date(),
                            "nrs": rng.randint(0, 10), "odi": rng.randint(0, 80),
                            "pgic": rng.randint(1, 7), "source": "clinic",
                            "created_at": now, "updated_at": now,
                        })
            with engine.begin() as connection:
                connection.execute(sa.insert(Patient), patients)
                for table, rows in ((Procedure, procedures), (Lesion, lesions),
                                    (FollowUp, followups)):
                    for chunk in _batches(rows):
                        connection.execute(sa.insert(table), chunk)
            counts["patients"] += len(patients)
            counts["procedures"] += len(procedures)
            counts["lesions"] += len(lesions)
            counts["followups"] += len(followups)
            print(f"  {counts['patients']:>7} patients", end="\r", flush=True)
        print()
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                for table in ("patients", "procedures", "lesions", "followups"):
                    # Explicit ids were inserted: move the sequences past them.
                    sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608, E501 - fixed table names
                    connection.exec_driver_sql(sql)
                connection.exec_driver_sql("ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return counts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER = """
import sys, uvicorn
from rhizo.clinic.api import create_app
from rhizo.clinic.config import Settings
settings = Settings(env="production", secret_key=sys.argv[2], database_url=sys.argv[1])
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[3]), log_level="warning",
            access_log=False)
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(url: str, n_patients: int, n_requests: int, seed: int = 7) -> dict[str, Any]:
    """Serve ``url`` on loopback and time the two endpoints."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(seed)
    engine = create_db_engine(url)
    with engine.connect() as connection:
        families = connection.execute(
            sa.select(Patient.family_key).order_by(Patient.id).limit(5000)).scalars().all()
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
                token = client.post("/api/v1/auth/token",
                                    data={"username": "bench", "password": PASSWORD}).json()
                client.headers["Authorization"] = f"Bearer {token['access_token']}"
                results: dict[str, Any] = {}
                cases = {
                    "search": lambda: f"/api/v1/patients?search={rng.choice(prefixes)}&limit=20",
                    "read": lambda: f"/api/v1/patients/{rng.randint(1, n_patients)}",
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
                    results[name] = {
                        "requests": n_requests,
                        "p50_ms": round(statistics.median(timings), 2),
                        "p95_ms": round(_percentile(timings, 0.95), 2),
                        "mean_ms": round(statistics.fmean(timings), 2),
                        "max_ms": round(max(timings), 2),
                    }
                    if hits:
                        results[name]["median_matches"] = statistics.median(hits)
                return results
        finally:
            server.terminate()
            server.wait(timeout=30)


def _postgres_bench_url() -> str | None:
    base = os.environ.get("RHIZO_BENCH_POSTGRES_URL") or os.environ.get("RHIZO_TEST_POSTGRES_URL")
    if not base:
        return None
    url = sa.make_url(base)
    admin = create_db_engine(url.set(database="postgres"))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS rhizo_bench WITH (FORCE)")
        connection.exec_driver_sql("CREATE DATABASE rhizo_bench")
    admin.dispose()
    return url.set(database="rhizo_bench").render_as_string(hide_password=False)


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
                url = _postgres_bench_url()
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
            report["backends"][backend] = {"rows": counts, "fill_s": round(fill_s, 1),
                                           **measure(url, args.patients, args.requests)}

    print(f"\n{'backend':<10} {'endpoint':<28} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for backend, result in report["backends"].items():
        for name, label in (("search", "GET /patients?search="), ("read", "GET /patients/{id}")):
            r = result[name]
            print(f"{backend:<10} {label:<28} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['mean_ms']:>8}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()

"""Calendar latency at clinic scale: 20 specialists, a year of sessions, 100,000 appointments.

Fills a fresh database (a SQLite file and/or PostgreSQL) by bulk inserts: 20
specialists, each with weekday morning consultation lists (08:00-13:00) and
afternoon review lists (13:00-18:00) of 15-minute slots on the Europe/London
clock for all of 2026 (208,000 slots), and 100,000 booked appointments drawn
from those slots (about 48 % full) with their occupied blocks (patient and
specialist, 600,000 rows). Then it times, in-process through the services the
pages and the API use:

- ``calendar.day`` for one specialist and for the whole clinic (random dates);
- ``slots.next_free_slot`` for a kind (random instants in the year, any
  specialist and one specialist).

It prints a table and writes ``benchmarks/results/schedule.json``. Targets
(issue 18): day view p95 < 50 ms, next free slot < 20 ms.

    python benchmarks/schedule.py                          # 100,000 appointments, SQLite
    python benchmarks/schedule.py --backends sqlite postgres
    python benchmarks/schedule.py --appointments 5000      # quick look

PostgreSQL comes from ``RHIZO_BENCH_POSTGRES_URL`` or ``RHIZO_TEST_POSTGRES_URL``
(``source scripts/postgres.sh``); the benchmark creates and drops its own
database ``rhizo_bench_schedule`` on that server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from rhizo.clinic.core import migrate
from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.patient.models import Patient, Sex, search_key
from rhizo.clinic.schedule import calendar, slots
from rhizo.clinic.schedule.models import (
    Appointment,
    AppointmentKind,
    AppointmentMode,
    AppointmentStatus,
    ClinicSession,
    OccupiedBlock,
    Resource,
)
from rhizo.clinic.specialist.models import Specialist

RESULTS = Path(__file__).with_name("results") / "schedule.json"
ZONE = "Europe/London"
YEAR = 2026
SPECIALISTS = 20
PATIENTS = 20_000
TARGETS_MS = {"day_p95": 50.0, "next_free_slot": 20.0}


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@contextmanager
def database(backend: str) -> Iterator[str]:
    """A fresh, migrated database URL for ``backend``, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'schedule.sqlite3'}"
            migrate.upgrade(url)
            yield url
        return
    base_text = os.environ.get("RHIZO_BENCH_POSTGRES_URL") or os.environ.get(
        "RHIZO_TEST_POSTGRES_URL"
    )
    if not base_text:
        raise SystemExit("postgres: set RHIZO_BENCH_POSTGRES_URL or RHIZO_TEST_POSTGRES_URL")
    base = sa.make_url(base_text)
    admin = create_db_engine(base.set(database="postgres"))
    name = "rhizo_bench_schedule"
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
        url = base.set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        admin.dispose()


def _chunks(rows: list[dict[str, Any]], size: int = 20_000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def fill(session: Session, n_appointments: int, rng: random.Random) -> dict[str, Any]:
    """Bulk-insert the synthetic clinic; returns what was made."""
    now = datetime.now(UTC)
    session.execute(
        sa.insert(Specialist),
        [
            {"id": i, "display_name": f"Dr Bench {i}", "created_at": now, "updated_at": now}
            for i in range(1, SPECIALISTS + 1)
        ],
    )
    patients = []
    for i in range(1, PATIENTS + 1):
        family = f"Bench{i:05d}"
        patients.append(
            {
                "id": i,
                "mrn": f"BENCH-{i:06d}",
                "given_name": "Sam",
                "family_name": family,
                "given_key": search_key("Sam"),
                "family_key": search_key(family),
                "birth_date": date(1950 + i % 40, 1 + i % 12, 1 + i % 28),
                "sex": Sex.FEMALE if i % 2 else Sex.MALE,
                "synthetic": True,
                "created_at": now,
                "updated_at": now,
            }
        )
    for chunk in _chunks(patients):
        session.execute(sa.insert(Patient), chunk)
    lists = [
        (AppointmentKind.CONSULTATION, AppointmentMode.IN_PERSON, wall(8, 0), wall(13, 0)),
        (AppointmentKind.REVIEW, AppointmentMode.PHONE, wall(13, 0), wall(18, 0)),
    ]
    sessions: list[dict[str, Any]] = []
    for specialist_id in range(1, SPECIALISTS + 1):
        for weekday in range(5):
            for kind, mode, start, end in lists:
                sessions.append(
                    {
                        "id": len(sessions) + 1,
                        "specialist_id": specialist_id,
                        "kind": kind,
                        "mode": mode,
                        "weekday": weekday,
                        "start_local": start,
                        "end_local": end,
                        "slot_min": 15,
                        "timezone": ZONE,
                        "valid_from": date(YEAR, 1, 1),
                        "valid_until": date(YEAR, 12, 31),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    session.execute(sa.insert(ClinicSession), sessions)
    session.flush()
    every: list[slots.Slot] = []
    for row in session.scalars(sa.select(ClinicSession)):
        day = date(YEAR, 1, 1)
        while day.year == YEAR:
            every.extend(slots.session_slots(row, day))
            day += timedelta(days=1)
    chosen = sorted(rng.sample(every, min(n_appointments, len(every))))
    appointments, blocks = [], []
    for i, slot in enumerate(chosen, start=1):
        patient_id = 1 + i % PATIENTS  # at most 20 at once: never the same patient twice
        appointments.append(
            {
                "id": i,
                "patient_id": patient_id,
                "specialist_id": slot.specialist_id,
                "session_id": slot.session_id,
                "kind": slot.kind,
                "mode": slot.mode,
                "starts_at": slot.starts_at,
                "ends_at": slot.ends_at,
                "status": AppointmentStatus.BOOKED,
                "booked_by": "bench",
                "created_at": now,
                "updated_at": now,
            }
        )
        for block in slots.blocks_of(slot.starts_at, slot.ends_at):
            blocks.append(
                {
                    "appointment_id": i,
                    "resource": Resource.SPECIALIST,
                    "resource_id": slot.specialist_id,
                    "block_start": block,
                }
            )
            blocks.append(
                {
                    "appointment_id": i,
                    "resource": Resource.PATIENT,
                    "resource_id": patient_id,
                    "block_start": block,
                }
            )
    for chunk in _chunks(appointments):
        session.execute(sa.insert(Appointment), chunk)
    for chunk in _chunks(blocks, 50_000):
        session.execute(sa.insert(OccupiedBlock), chunk)
    session.commit()
    return {
        "specialists": SPECIALISTS,
        "sessions": len(sessions),
        "slots_in_year": len(every),
        "appointments": len(appointments),
        "occupied_blocks": len(blocks),
    }


def _time(call: Callable[[], Any], n: int) -> tuple[list[tuple[float, float]], list[Any]]:
    """Wall and CPU milliseconds of ``n`` calls (CPU: this process only, so a shared,
    loaded machine inflates the wall figure, not the CPU one)."""
    timings, answers = [], []
    for _ in range(n):
        start, cpu = time.perf_counter(), time.process_time()
        answers.append(call())
        timings.append(((time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000))
    return timings, answers


def _summary(timings: list[tuple[float, float]]) -> dict[str, float]:
    wall_ms = [w for w, _ in timings]
    cpu_ms = [c for _, c in timings]
    return {
        "n": len(timings),
        "median_ms": round(statistics.median(wall_ms), 2),
        "p95_ms": round(percentile(wall_ms, 0.95), 2),
        "max_ms": round(max(wall_ms), 2),
        "cpu_median_ms": round(statistics.median(cpu_ms), 2),
        "cpu_p95_ms": round(percentile(cpu_ms, 0.95), 2),
    }


def measure(url: str, n_appointments: int, n_calls: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            start = time.perf_counter()
            made = fill(session, n_appointments, rng)
            made["fill_s"] = round(time.perf_counter() - start, 1)
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")  # planner statistics, both databases
        days = [date(YEAR, 1, 1) + timedelta(days=rng.randrange(365)) for _ in range(n_calls)]
        weekdays = [d for d in days if d.weekday() < 5] or days
        results: dict[str, Any] = {"made": made}
        with Session(engine) as session:
            picks = iter(
                [(rng.choice(weekdays), rng.randint(1, SPECIALISTS)) for _ in range(n_calls)]
            )

            def one_specialist() -> int:
                on, who = next(picks)
                return len(calendar.day(session=session, on=on, zone=ZONE, specialist_id=who))

            timings, counts = _time(one_specialist, n_calls)
            results["day_one_specialist"] = {
                **_summary(timings),
                "rows_median": statistics.median(counts),
            }
            clinic_days = iter([rng.choice(weekdays) for _ in range(n_calls)])

            def whole_clinic() -> int:
                return len(calendar.day(session=session, on=next(clinic_days), zone=ZONE))

            timings, counts = _time(whole_clinic, n_calls)
            results["day_whole_clinic"] = {
                **_summary(timings),
                "rows_median": statistics.median(counts),
            }
            instants = iter(
                [
                    datetime(YEAR, 1, 1, tzinfo=UTC)
                    + timedelta(minutes=5 * rng.randrange(340 * 24 * 12))
                    for _ in range(2 * n_calls)
                ]
            )

            def next_any() -> object:
                return slots.next_free_slot(
                    session=session, kind=AppointmentKind.CONSULTATION, after=next(instants)
                )

            timings, found = _time(next_any, n_calls)
            results["next_free_slot_any"] = {
                **_summary(timings),
                "found": sum(f is not None for f in found),
            }

            def next_one() -> object:
                return slots.next_free_slot(
                    session=session,
                    kind=AppointmentKind.REVIEW,
                    after=next(instants),
                    specialist_id=rng.randint(1, SPECIALISTS),
                )

            timings, found = _time(next_one, n_calls)
            results["next_free_slot_one_specialist"] = {
                **_summary(timings),
                "found": sum(f is not None for f in found),
            }
        return results
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--backends", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    report: dict[str, Any] = {
        "benchmark": "schedule",
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "targets_ms": TARGETS_MS,
        "backends": {},
    }
    for backend in args.backends:
        with database(backend) as url:
            report["backends"][backend] = measure(url, args.appointments, args.calls, args.seed)
    print(
        f"{'backend':9} {'measure':32} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}"
        f" {'cpu med':>8} {'cpu p95':>8}"
    )
    for backend, results in report["backends"].items():
        print(
            f"{backend:9} fill ({results['made']['appointments']} appointments) "
            f"{results['made']['fill_s']:>8} s"
        )
        for name, row in results.items():
            if name == "made":
                continue
            median, p95, top = row["median_ms"], row["p95_ms"], row["max_ms"]
            cpu, cpu95 = row["cpu_median_ms"], row["cpu_p95_ms"]
            print(f"{backend:9} {name:32} {median:>10} {p95:>8} {top:>8} {cpu:>8} {cpu95:>8}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

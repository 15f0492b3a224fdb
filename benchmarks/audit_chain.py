"""Benchmark: what the audit hash chain costs (append, concurrent append, verify).

On a fresh SQLite file, and on PostgreSQL when ``RHIZO_TEST_POSTGRES_URL`` is
set (a database ``rhizo_bench_audit`` is created beside it and dropped):

- one committed audit row per transaction (``record_now``), the chain on vs
  off (off: the ``before_flush`` hook removed and ``seq``/hashes filled with
  placeholders, so the same columns are written): median per append;
- 4 threads appending at once (the chain lock serialises them): rows/s;
- ``verify_chain`` over ``VERIFY_ROWS`` rows: seconds and rows/s.

Prints a table and writes benchmarks/results/audit_chain.json.
Run: ``.venv/bin/python benchmarks/audit_chain.py``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from rhizo.clinic.core import migrate
from rhizo.clinic.core.audit import chain
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.database import create_db_engine, create_session_factory

try:
    from benchmarks import _live
except ModuleNotFoundError:  # run as a script: this folder is first on sys.path
    import _live  # type: ignore[import-not-found,no-redef]

APPENDS = 300
THREADS, PER_THREAD = 4, 100
VERIFY_ROWS = 50_000
RESULTS = Path(__file__).parent / "results" / "audit_chain.json"
ACTOR = Actor(user_id=1, username="bench", role=None, request_id="bench", ip="127.0.0.1")


def _append(session: Session, i: int) -> None:
    audit.record_now(
        session=session,
        actor=ACTOR,
        action=AuditAction.READ,
        entity_type="patient",
        entity_id=i,
        patient_id=i % 500,
        details={"ids": [i, i + 1], "returned": 2},
    )


@contextmanager
def _chain_off() -> Iterator[None]:
    counter = iter(range(10**9, 2 * 10**9))

    def placeholders(session: Session, *_: Any) -> None:
        for obj in session.new:
            if isinstance(obj, AuditEvent):
                obj.seq, obj.prev_hash, obj.row_hash = next(counter), "-", "-"

    event.remove(Session, "before_flush", chain._chain_new_events)
    event.listen(Session, "before_flush", placeholders)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", placeholders)
        event.listen(Session, "before_flush", chain._chain_new_events)


def _per_append_ms(url: str, *, chained: bool) -> float:
    engine = create_db_engine(url)
    factory = create_session_factory(engine)
    times: list[float] = []
    try:
        with _chain_off() if not chained else _nothing(), factory() as session:
            for i in range(APPENDS):
                started = time.perf_counter()
                _append(session, i)
                times.append(time.perf_counter() - started)
    finally:
        engine.dispose()
    return statistics.median(times) * 1e3


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _concurrent_rows_per_s(url: str) -> float:
    engine = create_db_engine(url)
    factory = create_session_factory(engine)
    barrier = threading.Barrier(THREADS + 1)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            with factory() as session:
                for i in range(PER_THREAD):
                    _append(session, i)
        except BaseException as error:  # reported after the run
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    engine.dispose()
    if errors:
        raise errors[0]
    return THREADS * PER_THREAD / elapsed


def _fill(url: str, rows: int) -> None:
    engine = create_db_engine(url)
    try:
        with create_session_factory(engine)() as session:
            for start in range(0, rows, 1000):
                for i in range(start, min(start + 1000, rows)):
                    audit.record(
                        session=session,
                        actor=ACTOR,
                        action=AuditAction.READ,
                        entity_type="patient",
                        entity_id=i,
                        patient_id=i % 500,
                        details={"ids": [i], "returned": 1},
                    )
                session.commit()
    finally:
        engine.dispose()


def _verify(url: str) -> tuple[int, float, bool]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            started = time.perf_counter()
            report = chain.verify_chain(connection)
            elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    return report.rows, elapsed, report.intact


def run(name: str, url: str) -> dict[str, Any]:
    """All measurements on one freshly migrated database."""
    migrate.upgrade(url)
    off = _per_append_ms(url, chained=False)
    # the placeholder rows are not a chain: start the chained runs on an empty table
    engine = create_db_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ALTER TABLE audit_event DISABLE TRIGGER USER")
            connection.exec_driver_sql("DELETE FROM audit_event")
            connection.exec_driver_sql("ALTER TABLE audit_event ENABLE TRIGGER USER")
        else:
            connection.exec_driver_sql("DROP TRIGGER trg_audit_event_no_delete")
            connection.exec_driver_sql("DELETE FROM audit_event")
    engine.dispose()
    on = _per_append_ms(url, chained=True)
    concurrent = _concurrent_rows_per_s(url)
    _fill(url, VERIFY_ROWS - APPENDS - THREADS * PER_THREAD)
    rows, seconds, intact = _verify(url)
    return {
        "database": name,
        "append_ms_chain_off": off,
        "append_ms_chain_on": on,
        "append_ratio": on / off,
        "concurrent_rows_per_s": concurrent,
        "verify_rows": rows,
        "verify_s": seconds,
        "verify_rows_per_s": rows / seconds,
        "intact": intact,
    }


@contextmanager
def _postgres() -> Iterator[str | None]:
    base_url = os.environ.get("RHIZO_TEST_POSTGRES_URL")
    if not base_url:
        yield None
        return
    name = "rhizo_bench_audit"
    yield _live.fresh_postgres_database(base_url, name)
    _live.drop_postgres_database(base_url, name)


def main() -> None:
    results = []
    with tempfile.TemporaryDirectory() as folder:
        results.append(run("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}"))
    with _postgres() as url:
        if url is not None:
            results.append(run("postgresql", url))
    print(
        f"audit chain benchmark: {APPENDS} single-row commits (median), "
        f"{THREADS}x{PER_THREAD} concurrent, verify {VERIFY_ROWS} rows"
    )
    header = f"{'database':<11}{'off ms':>8}{'on ms':>8}{'ratio':>7}{'conc rows/s':>13}"
    print(header + f"{'verify s':>10}{'verify rows/s':>15}")
    for r in results:
        print(
            f"{r['database']:<11}{r['append_ms_chain_off']:>8.2f}{r['append_ms_chain_on']:>8.2f}"
            f"{r['append_ratio']:>7.2f}{r['concurrent_rows_per_s']:>13.0f}"
            f"{r['verify_s']:>10.2f}{r['verify_rows_per_s']:>15.0f}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "audit_chain",
                "appends": APPENDS,
                "threads": THREADS,
                "per_thread": PER_THREAD,
                "verify_rows": VERIFY_ROWS,
                "python": platform.python_version(),
                "machine": platform.machine(),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

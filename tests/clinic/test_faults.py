"""A writer killed mid-transaction (SIGKILL) leaves a consistent SQLite database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from rhizo.clinic.core import migrate
from rhizo.clinic.core.database import create_db_engine

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from rhizo.clinic.core.auth.models import SYSTEM_ACTOR
    from rhizo.clinic.core.database import create_db_engine, create_session_factory
    from rhizo.clinic.patient.models import PatientCreate
    from rhizo.clinic.patient import service as patients
    from rhizo.clinic.procedure import service as procedures
    from rhizo.clinic.procedure.models import ProcedureCreate
    from rhizo.clinic.specialist.models import Specialist

    url, mode = sys.argv[1], sys.argv[2]
    engine = create_db_engine(url)
    Session = create_session_factory(engine)
    lesion = dict(target_nerve="L4 medial branch", side="right", motor_response="multifidus",
                  sensory_response="concordant", sensory_threshold_v=0.3, motor_test_voltage_v=2.0,
                  local_anaesthetic_given=True, gauge=18, duration_s=90, set_temperature_c=80)
    with Session() as session:
        specialist = Specialist(display_name="Dr Kill")
        session.add(specialist)
        session.commit()
        n = 0
        while True:
            n += 1
            patient = patients.create(session=session, actor=SYSTEM_ACTOR, data=PatientCreate(
                mrn=f"KILL-{n:06d}", given_name="K", family_name="Ill", birth_date="1970-01-01",
                sex="male"))
            data = ProcedureCreate(performer_id=specialist.id,
                                   performed_at=datetime(2025, 1, 1, tzinfo=UTC),
                                   region="lumbar", side="right", levels=["L4-L5"],
                                   lesions=[lesion] * 6)
            if mode == "hold":
                # Write inside an open transaction, then wait to be killed.
                session.add_all(procedures.Procedure(patient_id=patient.id, **data.model_dump(
                    exclude={"lesions"})) for _ in range(200))
                session.flush()
                print("IN-TRANSACTION", flush=True)
                time.sleep(60)
            procedures.create(session=session, actor=SYSTEM_ACTOR, patient_id=patient.id,
                              data=data)
            if n == 5:
                print("WRITING", flush=True)
    """
)


def _run_and_kill(url: str, mode: str, marker: str, extra_wait: float) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, url, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        line = process.stdout.readline()
        if line.strip() == marker:
            time.sleep(extra_wait)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        errors = process.stderr.read()
    assert line.strip() == marker, (line, errors)
    assert process.returncode == -signal.SIGKILL


def _check_consistent(url: str) -> tuple[int, int]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            # Every procedure has all six lesions and its audit row: none half-written.
            per_procedure = connection.exec_driver_sql(
                "SELECT p.id, COUNT(l.id) FROM procedures p LEFT JOIN lesions l "
                "ON l.procedure_id = p.id GROUP BY p.id"
            ).all()
            assert all(n == 6 for _, n in per_procedure), per_procedure
            audited = connection.exec_driver_sql(
                "SELECT COUNT(*) FROM audit_event WHERE entity_type = 'procedure' "
                "AND action = 'create'"
            ).scalar()
            assert audited == len(per_procedure)
            patients = connection.exec_driver_sql("SELECT COUNT(*) FROM patients").scalar()
            return len(per_procedure), int(patients or 0)
    finally:
        engine.dispose()


def test_kill_inside_an_open_transaction_writes_nothing_of_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'killed.sqlite3'}"
    migrate.upgrade(url)
    _run_and_kill(url, "hold", "IN-TRANSACTION", 0.2)
    procedures, patients = _check_consistent(url)
    assert procedures == 0  # the 200 flushed rows never committed
    assert patients == 1  # the committed patient survived


def test_kill_during_a_stream_of_commits_leaves_whole_procedures(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'stream.sqlite3'}"
    migrate.upgrade(url)
    _run_and_kill(url, "stream", "WRITING", 0.7)
    procedures, patients = _check_consistent(url)
    assert procedures >= 5
    assert patients in (procedures, procedures + 1)  # killed between the two writes, or not
    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:  # the database still takes writes
            connection.execute(
                sa.text(
                    "INSERT INTO specialists (display_name, active, "
                    "created_at, updated_at) VALUES ('after', 1, "
                    "'2025-01-01', '2025-01-01')"
                )
            )
    finally:
        engine.dispose()

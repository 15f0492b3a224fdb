"""Benchmark: concurrent writers against a real uvicorn server, and kill -9 mid-flight.

Part 1 (writers): a migrated database, one clinician, one patient; a uvicorn
server on 127.0.0.1 (one process, the app as ``rhizo serve`` builds it); W
client threads, each with its own keep-alive connection, each posting R
follow-ups (a create: reads the patient, then inserts the row and its audit
row). Every response is counted: 201 is success, anything else (or a
connection error) is an error. Latency per request; p50/p95/p99 and
throughput. Run on SQLite (the fix: ``BEGIN IMMEDIATE``), on SQLite with
the old deferred ``BEGIN`` (``--baseline``: the server process puts the old
begin hook back, so the finding can be reproduced), and on PostgreSQL.

Part 2 (kill -9): a client posts creates, each with its own
``Idempotency-Key`` and a marker in its notes; the server is killed with
SIGKILL at a random moment, restarted, and every request that got no answer
is retried with the same key until it is answered. Then the database must
hold exactly one row per key: ``duplicates`` counts markers stored twice,
``lost`` acknowledged markers missing; ``replayed`` is how many retries found
their create already committed (saved but never acknowledged: the case a
retry without a key would duplicate).

PostgreSQL comes from ``RHIZO_BENCH_POSTGRES_URL`` or ``RHIZO_TEST_POSTGRES_URL``
(``source scripts/postgres.sh``); the benchmark creates and drops its own
database. Prints a table and writes benchmarks/results/concurrency.json.
Run: ``.venv/bin/python benchmarks/concurrency.py`` (``--writers 2,10,50``,
``--requests 20``, ``--kill-cycles 10``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from rhizo.clinic.core.database import create_db_engine
from rhizo.clinic.followup.models import FollowUp

try:
    from benchmarks import _live
except ModuleNotFoundError:  # run as a script: this folder is first on sys.path
    import _live  # type: ignore[import-not-found,no-redef]

RESULTS = Path(__file__).parent / "results" / "concurrency.json"
SECRET = "bench-" + uuid.uuid4().hex + uuid.uuid4().hex
BENCH_DB = "rhizo_bench_concurrency"

# The server process: the app exactly as ``rhizo serve`` makes it; ``--baseline``
# restores the deferred BEGIN the fix replaced (to reproduce the finding).
_SERVER = """
import sys, uvicorn
import rhizo.clinic.core.database as database
if sys.argv[3] == "deferred":
    database._sqlite_on_begin = lambda connection: connection.exec_driver_sql("BEGIN")
from rhizo.clinic.api import create_app
uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
            timeout_keep_alive=30)
"""


@dataclass
class Server:
    """One uvicorn process serving the database at ``url``."""

    url: str
    begin: str = "immediate"
    port: int = field(default_factory=_live.free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "RHIZO_DATABASE_URL": self.url,
            "RHIZO_SECRET_KEY": SECRET,
            "RHIZO_ENV": "test",
        }
        self.process = _live.start_server(
            _SERVER, [str(self.port), self.url, self.begin], env, self._log()
        )
        _live.wait_serving(self.base)

    @staticmethod
    def _log() -> Any:
        """The server's log: RHIZO_BENCH_SERVER_LOG (appended), else discarded."""
        path = os.environ.get("RHIZO_BENCH_SERVER_LOG")
        return open(path, "ab") if path else subprocess.DEVNULL

    def kill(self) -> None:
        if self.process is None:
            raise RuntimeError("the server is not running")
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        _live.stop_server(self.process)


def prepare(url: str) -> tuple[dict[str, str], int]:
    """Migrate, add a clinician and a patient; (auth headers, patient id)."""
    return _live.prepare(
        url,
        secret=SECRET,
        username=f"bench{uuid.uuid4().hex[:8]}",
        mrn=f"B-{uuid.uuid4().hex[:10]}",
        family_name="Writer",
        expires_minutes=120,
    )


def _body(nrs: int, notes: str) -> dict[str, Any]:
    return {"followed_on": "2025-03-01", "nrs": nrs, "notes": notes}


def writers_run(
    server: Server, headers: dict[str, str], patient_id: int, writers: int, requests: int
) -> dict[str, Any]:
    """W threads x R creates; errors and latency."""
    url = f"{server.base}/api/v1/patients/{patient_id}/followups"
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def writer(index: int) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            for i in range(requests):
                started = time.perf_counter()
                try:
                    response = client.post(
                        url, json=_body(i % 11, f"w{index}-{i}"), headers=headers
                    )
                    outcome = str(response.status_code)
                except httpx.HTTPError as error:
                    outcome = type(error).__name__
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if outcome != "201":
                        errors[outcome] = errors.get(outcome, 0) + 1

    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    total = writers * requests
    failed = sum(errors.values())
    return {
        "writers": writers,
        "requests": total,
        "errors": failed,
        "error_rate": failed / total,
        "error_kinds": errors,
        "p50_ms": _live.percentile(latencies, 0.50) * 1e3,
        "p95_ms": _live.percentile(latencies, 0.95) * 1e3,
        "p99_ms": _live.percentile(latencies, 0.99) * 1e3,
        "throughput_per_s": total / wall,
    }


@dataclass
class _Flight:
    """Creates in flight during one kill cycle: keys answered and keys not."""

    url: str
    headers: dict[str, str]
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0
    answered: set[str] = field(default_factory=set)
    pending: list[str] = field(default_factory=list)

    def client(self) -> None:
        """Post keyed creates until the server dies or ``stop`` is set."""
        with httpx.Client(timeout=10) as client:
            while not self.stop.is_set():
                key = uuid.uuid4().hex
                with self.lock:
                    self.sent += 1
                try:
                    response = client.post(
                        self.url,
                        json=_body(5, key),
                        headers={**self.headers, "Idempotency-Key": key},
                    )
                except httpx.HTTPError:
                    with self.lock:
                        self.pending.append(key)
                    return
                with self.lock:
                    if response.status_code == 201:
                        self.answered.add(key)
                    else:
                        self.pending.append(key)


def _retry(url: str, headers: dict[str, str], key: str) -> httpx.Response:
    """Send the create for ``key`` again until it is answered 201."""
    with httpx.Client(timeout=30) as client:
        for _attempt in range(5):
            response = client.post(
                url, json=_body(5, key), headers={**headers, "Idempotency-Key": key}
            )
            if response.status_code == 201:
                return response
    raise RuntimeError(f"retry of {key} not answered 201: {response.status_code} {response.text}")


def kill_run(url: str, cycles: int, seed: int = 1, clients: int = 8) -> dict[str, Any]:
    """Kill -9 the server mid-flight ``cycles`` times; retry unanswered creates by key."""
    rng = random.Random(seed)
    headers, patient_id = prepare(url)
    server = Server(url)
    acknowledged: set[str] = set()
    sent = replayed = unanswered = 0
    try:
        server.start()
        target = f"{server.base}/api/v1/patients/{patient_id}/followups"
        for _ in range(cycles):
            flight = _Flight(target, headers)
            threads = [threading.Thread(target=flight.client) for _ in range(clients)]
            for thread in threads:
                thread.start()
            time.sleep(rng.uniform(0.4, 1.2))
            server.kill()
            flight.stop.set()
            for thread in threads:
                thread.join()
            sent += flight.sent
            acknowledged |= flight.answered
            unanswered += len(flight.pending)
            server.start()
            for key in flight.pending:
                response = _retry(target, headers, key)
                acknowledged.add(key)
                replayed += response.headers.get("Idempotent-Replayed") == "true"
    finally:
        server.stop()
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            notes = [
                str(row[0])
                for row in connection.execute(
                    sa.select(FollowUp.notes).where(FollowUp.patient_id == patient_id)
                )
            ]
    finally:
        engine.dispose()
    stored = set(notes)
    return {
        "cycles": cycles,
        "creates_sent": sent,
        "unanswered_then_retried": unanswered,
        "replayed_committed_before_kill": replayed,
        "rows": len(notes),
        "duplicates": len(notes) - len(stored),
        "lost": len(acknowledged - stored),
    }


def main() -> None:
    """Run both parts and write the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", default="2,10,50", help="comma-separated writer counts")
    parser.add_argument("--requests", type=int, default=20, help="creates per writer")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--baseline", action="store_true", help="also SQLite with deferred BEGIN")
    parser.add_argument("--kill-cycles", type=int, default=10)
    args = parser.parse_args()
    counts = [int(n) for n in args.writers.split(",")]
    rows: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="rhizo-concurrency-"))
    cases = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            cases.append(("sqlite", "immediate"))
            if args.baseline:
                cases.append(("sqlite", "deferred"))
        elif backend == "postgres":
            cases.append(("postgres", "-"))
    for backend, begin in cases:
        if backend == "sqlite":
            url = f"sqlite:///{tmp / f'writers-{begin}.sqlite3'}"
        else:
            found = _live.bench_postgres_url(BENCH_DB)
            if found is None:
                print("postgres: no RHIZO_TEST_POSTGRES_URL; skipped")
                continue
            url = found
        headers, patient_id = prepare(url)
        server = Server(url, begin=begin if begin != "-" else "immediate")
        server.start()
        try:
            for writers in counts:
                row = writers_run(server, headers, patient_id, writers, args.requests)
                row.update(backend=backend, begin=begin)
                rows.append(row)
        finally:
            server.stop()
    print(f"concurrent writers: each posts {args.requests} follow-ups (uvicorn, 127.0.0.1)")
    print(
        f"{'backend':<10}{'BEGIN':<11}{'writers':>8}{'requests':>9}{'errors':>8}"
        f"{'error %':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}"
    )
    for row in rows:
        print(
            f"{row['backend']:<10}{row['begin']:<11}{row['writers']:>8}{row['requests']:>9}"
            f"{row['errors']:>8}{row['error_rate'] * 100:>9.1f}{row['p50_ms']:>9.1f}"
            f"{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}{row['throughput_per_s']:>8.1f}"
        )
    kill: dict[str, Any] | None = None
    if args.kill_cycles > 0:
        kill = kill_run(f"sqlite:///{tmp / 'kill.sqlite3'}", args.kill_cycles)
        print(f"\nkill -9 mid-flight, SQLite: {json.dumps(kill)}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "concurrency",
                "requests_per_writer": args.requests,
                "writers": rows,
                "kill9": kill,
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                },
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

"""The reminder worker: 1,000 queued reminders sent to a local SMTP server (aiosmtpd).

Each run starts from a fresh migrated SQLite file with ``--messages`` queued
``appointment_booked`` messages (each with its .ics attachment, rendered at send,
as in production), then times ``Worker.run_until_empty`` of the outbox worker:
claim in batches, render, SMTP over one connection per batch to an aiosmtpd
server on 127.0.0.1 (in this process, in its own thread), mark each sent with
its send record and audit row. The queueing is not timed. It checks that every
message arrived exactly once (by Message-ID), prints a table and writes
``benchmarks/results/reminders.json``. Target (issue 18): under 10 s for 1,000.

    python benchmarks/reminders.py                  # 1,000 messages, 5 runs
    python benchmarks/reminders.py --messages 200 --runs 3 --batch 100
"""

from __future__ import annotations

import argparse
import email
import json
import os
import platform
import socket
import statistics
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller

from rhizo.clinic.core import migrate
from rhizo.clinic.core.clinic_settings.service import Contact
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.core.outbox import service as outbox
from rhizo.clinic.core.outbox.models import Channel
from rhizo.clinic.core.outbox.settings import OutboxSettings
from rhizo.clinic.core.outbox.transports import SMTPTransport
from rhizo.clinic.core.outbox.worker import Worker
from rhizo.clinic.schedule import reminders

RESULTS = Path(__file__).with_name("results") / "reminders.json"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


class Sink:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self.lock:
            self.ids.append(str(message["Message-ID"]))
        return "250 OK queued"


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _queue(factory: Any, n: int) -> None:
    with factory() as session:
        for i in range(n):
            starts = T0 + timedelta(days=7, minutes=15 * i)
            outbox.enqueue(
                session=session,
                channel=Channel.EMAIL,
                to=f"patient{i}@example.org",
                template=reminders.APPOINTMENT_BOOKED,
                context={
                    "recipient_name": "Ann",
                    "appointment_id": i + 1,
                    "kind": "consultation",
                    "mode": "in_person",
                    "starts_at": starts.isoformat(),
                    "ends_at": (starts + timedelta(minutes=15)).isoformat(),
                    "specialist_name": "Dr A. Rivera",
                    "room_name": "Room 2",
                    "timezone": "Europe/London",
                },
                send_after=T0,
                dedupe_key=f"bench:{i}",
            )
        session.commit()


def one_run(n: int, batch: int, workdir: Path, template: Path, run: int) -> dict[str, Any]:
    path = workdir / f"run{run}.sqlite3"
    path.write_bytes(template.read_bytes())
    engine = create_db_engine(f"sqlite:///{path}")
    factory = create_session_factory(engine)
    _queue(factory, n)
    sink = Sink()
    port = _port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = OutboxSettings(
            smtp_host="127.0.0.1", smtp_port=port, smtp_from="clinic@riverside.example.org"
        )
        worker = Worker(
            session_factory=factory,
            transports={Channel.EMAIL: SMTPTransport(settings)},
            settings=settings,
            contact=lambda _s: Contact("Riverside Pain Clinic", "+44 20 7946 0000", None),
            zone=ZoneInfo("Europe/London"),
            worker_id="bench",
            clock=lambda: T0,
        )
        started = time.perf_counter()
        summary = worker.run_until_empty(batch=batch)
        elapsed_s = time.perf_counter() - started
    finally:
        controller.stop()
        engine.dispose()
    arrived = Counter(sink.ids)
    once = len(arrived) == n and set(arrived.values()) == {1}
    return {"elapsed_s": elapsed_s, "sent": summary.sent, "exactly_once": once}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--no-write", action="store_true", help="do not write the JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        template = workdir / "template.sqlite3"
        migrate.upgrade(f"sqlite:///{template}")
        runs = [one_run(args.messages, args.batch, workdir, template, i) for i in range(args.runs)]
    times = [r["elapsed_s"] for r in runs]
    median_s = statistics.median(times)
    result = {
        "benchmark": "reminders",
        "messages": args.messages,
        "batch": args.batch,
        "runs": args.runs,
        "elapsed_s": [round(t, 3) for t in times],
        "median_s": round(median_s, 3),
        "per_message_ms": round(1000 * median_s / args.messages, 3),
        "all_exactly_once": all(r["exactly_once"] for r in runs),
        "all_sent": all(r["sent"] == args.messages for r in runs),
        "target_s": 10.0,
        "target_met": median_s < 10.0,
        "database": "sqlite (file, WAL)",
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_1m": round(os.getloadavg()[0], 2),
        },
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(
        f"{'messages':>10} {'batch':>6} {'runs':>5} {'median s':>9} {'min s':>7} {'max s':>7} "
        f"{'ms/msg':>7} {'once':>5}"
    )
    print(
        f"{args.messages:>10} {args.batch:>6} {args.runs:>5} {median_s:>9.2f} {min(times):>7.2f} "
        f"{max(times):>7.2f} {result['per_message_ms']:>7.2f} {result['all_exactly_once']!s:>5}"
    )
    if not args.no_write:
        RESULTS.write_text(json.dumps(result, indent=2) + "\n")
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

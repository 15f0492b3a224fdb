"""Benchmark: an anonymous login flood against a live server, and one clinician's reads.

A migrated SQLite database with one clinician and one patient; a uvicorn
server on 127.0.0.1 (one process, the REST API as ``rhizo serve`` builds it,
``RHIZO_ENV=production``). One authenticated client reads
``GET /api/v1/patients/{id}`` (an audited read: a SELECT and an INSERT) in a
loop, one request at a time, and its latency is recorded. Meanwhile ``--flood``
anonymous threads (30) post wrong passwords to ``POST /api/v1/auth/token``
for ``--seconds`` each, each on its own keep-alive connection. Scenarios:

``idle``
    no flood: the reader alone (the reference latency).
``one address``
    the flood from 127.0.0.1 with random usernames: the per-address throttle
    (20 free failures, then back-off) soon answers 429 without checking.
``spread``
    every flood request names a random client address (``X-Forwarded-For``,
    which uvicorn trusts from 127.0.0.1 as a reverse proxy's) and a random
    username, so no throttle counter ever fills: only the bound on concurrent
    argon2 verifications (``RHIZO_LOGIN_CONCURRENCY``, default a quarter of the CPUs) stands
    between the flood and the CPU; the excess gets 429 at once.
``spread, unbounded``
    the same with ``RHIZO_LOGIN_CONCURRENCY=64`` (more than the flood): every
    attempt is verified, as before the bound (the finding: 33 ms -> 1.66 s).

The flood's 30 client threads run in their own process on raw keep-alive
sockets with pre-formatted requests: a real attacker's clients run on the
attacker's CPUs, and an httpx client per thread on this same machine would
spend more CPU than the server it floods.

Prints a table and writes benchmarks/results/login_flood.json. The machine's
CPUs are shared: compare scenarios of one run (ratios), not runs.
Run: ``.venv/bin/python benchmarks/login_flood.py`` (``--seconds 8 --flood 30``).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from rhizo.clinic.core.config import default_login_concurrency

try:
    from benchmarks import _live
except ModuleNotFoundError:  # run as a script: this folder is first on sys.path
    import _live  # type: ignore[import-not-found,no-redef]

RESULTS = Path(__file__).parent / "results" / "login_flood.json"
SECRET = "bench-sign-" + uuid.uuid4().hex + uuid.uuid4().hex
PSEUDONYM = "bench-pseudonym-" + uuid.uuid4().hex + uuid.uuid4().hex

_SERVER = """
import sys, uvicorn
from rhizo.clinic.api import create_app
uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="critical",
            access_log=False, timeout_keep_alive=30, proxy_headers=True,
            forwarded_allow_ips="127.0.0.1")
"""


@dataclass
class Server:
    """One uvicorn process serving the database at ``url``."""

    url: str
    concurrency: int | None
    port: int = field(default_factory=_live.free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        env = {
            **os.environ,
            "RHIZO_DATABASE_URL": self.url,
            "RHIZO_SECRET_KEY": SECRET,
            "RHIZO_PSEUDONYM_KEY": PSEUDONYM,
            "RHIZO_ENV": "production",
        }
        if self.concurrency is not None:
            env["RHIZO_LOGIN_CONCURRENCY"] = str(self.concurrency)
        else:
            env.pop("RHIZO_LOGIN_CONCURRENCY", None)
        self.process = _live.start_server(_SERVER, [str(self.port)], env, subprocess.DEVNULL)
        _live.wait_serving(self.base)
        return self

    def __exit__(self, *exc: object) -> None:
        _live.stop_server(self.process)


def prepare(url: str) -> tuple[dict[str, str], int]:
    """Migrate, add a clinician and a patient; (the clinician's auth headers, patient id)."""
    return _live.prepare(
        url,
        secret=SECRET,
        username="bench-reader",
        mrn="FLOOD-0001",
        family_name="Reader",
        expires_minutes=240,
    )


def _request(host: str, name: str, address: str | None) -> bytes:
    body = f"username={name}&password=wrong+password+{name}".encode()
    forwarded = f"X-Forwarded-For: {address}\r\n" if address else ""
    head = (
        f"POST /api/v1/auth/token HTTP/1.1\r\nHost: {host}\r\n{forwarded}"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _answer(sock: socket.socket, buffer: bytearray) -> str:
    """Read one HTTP response off a keep-alive socket; its status code."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1].decode()
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    del buffer[:]
    buffer += rest[length:]
    return status


def flood_process(
    port: int, flood: int, seconds: float, spread: bool, results: Any, ready: Any
) -> None:
    """``flood`` threads posting wrong logins for ``seconds``, in their own process and on
    raw keep-alive sockets (a few microseconds of client CPU per request, so the flood is
    limited by the server, not by its own Python client)."""
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    host = f"127.0.0.1:{port}"

    def flooder(index: int) -> None:
        rng = random.Random(index)
        sock: socket.socket | None = None
        buffer = bytearray()
        while time.monotonic() < deadline:
            name = f"nobody{index}-{rng.randrange(10**9)}"
            address = None
            if spread:
                address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
            try:
                if sock is None:
                    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
                    buffer = bytearray()
                sock.sendall(_request(host, name, address))
                outcome = _answer(sock, buffer)
            except OSError as error:
                outcome = type(error).__name__
                if sock is not None:
                    sock.close()
                sock = None
            with lock:
                outcomes[outcome] += 1
        if sock is not None:
            sock.close()

    threads = [threading.Thread(target=flooder, args=(i,)) for i in range(flood)]
    for thread in threads:
        thread.start()
    ready.set()
    for thread in threads:
        thread.join()
    results.put(dict(outcomes))


def run(
    server: Server,
    headers: dict[str, str],
    patient_id: int,
    *,
    flood: int,
    seconds: float,
    spread: bool,
) -> dict[str, Any]:
    """The reader's latencies while ``flood`` threads post wrong logins for ``seconds``."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    ready = context.Event()
    flooders = None
    if flood:
        flooders = context.Process(
            target=flood_process,
            args=(server.port, flood, seconds + 1.0, spread, results, ready),
        )
        flooders.start()
        ready.wait(60)
        time.sleep(0.5)  # the flood is under way before the reader starts
    latencies: list[float] = []
    failures = 0
    url = f"{server.base}/api/v1/patients/{patient_id}"
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=120) as reader:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = reader.get(url, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            failures += response.status_code != 200
    outcomes: dict[str, int] = {}
    if flooders is not None:
        outcomes = results.get(timeout=180)
        flooders.join(timeout=60)
    total = sum(outcomes.values())
    return {
        "reads": len(latencies),
        "read_failures": failures,
        "median_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(_live.percentile(latencies, 0.95), 2),
        "max_ms": round(max(latencies), 2),
        "flood_requests": total,
        "flood_per_s": round(total / (seconds + 1.0), 1),
        "flood_outcomes": dict(sorted(outcomes.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="flood per scenario")
    parser.add_argument("--flood", type=int, default=30, help="anonymous flood threads")
    args = parser.parse_args()
    default = default_login_concurrency()
    scenarios = (
        ("idle", None, 0, False),
        ("one address", None, args.flood, False),
        ("spread", None, args.flood, True),
        ("spread, unbounded", 64, args.flood, True),
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, concurrency, flood, spread in scenarios:
            # A fresh database each time: no throttle state carries over.
            url = f"sqlite:///{Path(tmp) / (uuid.uuid4().hex + '.sqlite3')}"
            headers, patient_id = prepare(url)
            with Server(url, concurrency) as server:
                result = run(
                    server, headers, patient_id, flood=flood, seconds=args.seconds, spread=spread
                )
            slots = default if concurrency is None else concurrency
            rows.append({"scenario": name, "login_concurrency": slots, **result})
            print(f"  {name}: done", file=sys.stderr)
    idle = rows[0]["median_ms"]
    print(
        f"{'scenario':<20}{'slots':>6}{'reads':>7}{'median ms':>11}{'p95 ms':>9}"
        f"{'x idle':>8}{'flood/s':>9}  flood answers"
    )
    for row in rows:
        ratio = row["median_ms"] / idle
        row["median_vs_idle"] = round(ratio, 2)
        print(
            f"{row['scenario']:<20}{row['login_concurrency']:>6}{row['reads']:>7}"
            f"{row['median_ms']:>11.1f}{row['p95_ms']:>9.1f}{ratio:>8.2f}"
            f"{row['flood_per_s']:>9.1f}  {row['flood_outcomes']}"
        )
    report = {
        "benchmark": "login_flood",
        "seconds_per_scenario": args.seconds,
        "flood_threads": args.flood,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_1_5_15": [round(x, 1) for x in os.getloadavg()],
        },
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

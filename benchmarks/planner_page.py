"""The web lesion planner's POST /planner, warm, with and without a built lesion table.

The planner page through FastAPI's TestClient (the whole stack: form, CSRF,
validation, the answer, the template) on a freshly migrated 3-patient demo
database, logged in as the demo clinician, with a fresh ``RHIZO_CACHE_DIR`` (no
table to begin with). ``RHIZO_ENV=test`` keeps the page's background builder off,
so the benchmark decides when a table exists. Each case: one warm-up request, then
``--repeats`` (default 5) requests; median wall and process-CPU seconds per request.

Cases (the form's defaults: muscle-in-vivo, 18 G, 10 mm, 80 C, 90 s, L4-L5, 0 deg, 1 mm):

- ``lesion, no table``: the engine without the temperature map (the default answer
  until a table is built);
- ``full solve``: the engine and the temperature map (what every POST did before);
- ``capture, no table``: the lesion plus 10 000 Monte Carlo placements per nerve;
- then the 18 G muscle-in-vivo table is built (448 + 32 runs, ``LesionTables.table``,
  outside any request; its build time is reported) and ``lesion, table`` and
  ``capture, table`` are measured.

Prints a table and writes benchmarks/results/planner_page.json (or ``--out``).
Run: ``.venv/bin/python benchmarks/planner_page.py [--repeats 5] [--skip-table]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).with_name("results") / "planner_page.json"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KIND = re.compile(r'id="lesion-source" data-kind="(\w+)"')


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _client(folder: Path) -> Any:
    from pydantic import SecretStr

    from rhizo.clinic.core import migrate
    from rhizo.clinic.core.config import Settings
    from rhizo.clinic.core.database import create_db_engine, create_session_factory
    from rhizo.clinic.demo.seed import seed
    from rhizo.clinic.web.app import create_web_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    report = seed(session, patients=3, today=date(2026, 6, 1))
    session.close()
    engine.dispose()
    settings = Settings(
        database_url=url, env="test", secret_key=SecretStr("b" * 48), admin_totp_required=False
    )
    client = TestClient(create_web_app(settings, synthetic=True))
    password = report.passwords["demo-clinician"][1]
    page = client.get("/login")
    token = CSRF.search(page.text)
    if token is None:
        raise SystemExit("the login page has no CSRF field")
    client.post(
        "/login",
        data={"username": "demo-clinician", "password": password, "csrf_token": token.group(1)},
    )
    return client


def _case(client: Any, action: str, repeats: int) -> dict[str, Any]:
    page = client.get("/planner")
    token = CSRF.search(page.text)
    if token is None:
        raise SystemExit("not logged in: the planner has no CSRF field")
    data = {"csrf_token": token.group(1), "action": action}
    walls: list[float] = []
    cpus: list[float] = []
    kind = ""
    for index in range(repeats + 1):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.post("/planner", data=data)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if response.status_code != 200:
            raise SystemExit(f"POST /planner action={action}: HTTP {response.status_code}")
        found = KIND.search(response.text)
        kind = found.group(1) if found else "?"
        if index:  # the first request warms the process
            walls.append(wall)
            cpus.append(cpu)
    return {
        "action": action,
        "answered_by": kind,
        "median_wall_s": statistics.median(walls),
        "median_cpu_s": statistics.median(cpus),
        "max_wall_s": max(walls),
        "repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-table", action="store_true", help="no table build")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["RHIZO_CACHE_DIR"] = str(Path(folder) / "cache")
        client = _client(Path(folder))
        rows: list[dict[str, Any]] = []
        for label, action in (
            ("lesion, no table", "lesion"),
            ("full solve", "solve"),
            ("capture, no table", "capture"),
        ):
            rows.append({"case": label, **_case(client, action, args.repeats)})
        build: dict[str, Any] | None = None
        if not args.skip_table:
            from rhizo.physics import CLINICAL_TISSUE
            from rhizo.physics.surrogate_cache import default_tables
            from rhizo.planning.lesions import clear_cache

            tables = default_tables()
            spec = tables.spec(gauge=18, tip_kind="blunt", tissue=CLINICAL_TISSUE)
            wall, cpu = time.perf_counter(), time.process_time()
            table = tables.table(spec, build=True)
            build = {
                "table": spec.label,
                "runs": spec.axes.size,
                "wall_s": time.perf_counter() - wall,
                "cpu_s": time.process_time() - cpu,
                "held_out": table.held_out.model_dump() if table and table.held_out else None,
            }
            clear_cache()  # the capture's lesion from the table, not the earlier solve
            for label, action in (("lesion, table", "lesion"), ("capture, table", "capture")):
                rows.append({"case": label, **_case(client, action, args.repeats)})
        client.close()
    load_after = os.getloadavg()

    print(f"{'case':<20} {'answered by':<12} {'median wall s':>14} {'median CPU s':>13}")
    for row in rows:
        print(
            f"{row['case']:<20} {row['answered_by']:<12} {row['median_wall_s']:>14.3f} "
            f"{row['median_cpu_s']:>13.3f}"
        )
    if build:
        print(
            f"table build ({build['runs']} runs + held out): {build['wall_s']:.1f} s wall, "
            f"{build['cpu_s']:.1f} s CPU"
        )
    print(f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    payload = {
        "benchmark": "planner_page",
        "commit": _commit(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_before": list(load_before),
        "load_average_after": list(load_after),
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rows": rows,
        "table_build": build,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Screenshots of every page of the web app, at a desktop's and a phone's width, for docs/web.md.

Run: ``.venv/bin/python scripts/screenshots.py`` (Debian's /usr/bin/chromium,
driven by Playwright; ``playwright install`` is never run). It migrates a
throw-away SQLite database, seeds the synthetic 12-patient cohort on the same
fixed day as the browser suite (2026-06-01), serves the demo app on 127.0.0.1
and signs in as each demo role through the login form.

The pages are derived, not listed: every HTML ``GET`` route of the app (its
``response_class``), each shot once, as the first role in :data:`ROLE_ORDER`
that may open it (answers 200 without a redirect). So a page added later is
shot too; a ``{placeholder}`` with no demo value stops the script, naming it.
Every role visits every page, so the table it writes into docs/web.md (between
:data:`MARKERS`) says who may open each one as the app answers (200), beside
what the page shows (:data:`PAGES`).

Each page gives ``docs/screenshots/pages/<name>.png`` (desktop, 1280 px wide, the top
1,000 px) and ``<name>.phone.png`` (390 x 844, the first screen). PNGs are
reduced to a 48-colour palette (Pillow), so each stays under 150 KB.
"""

from __future__ import annotations

import argparse
import io
import re
import secrets
import socket
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from PIL import Image
from playwright.sync_api import Browser, Page, sync_playwright
from pydantic import SecretStr
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse

from rhizo.clinic.complication.models import Complication
from rhizo.clinic.core import migrate
from rhizo.clinic.core.auth.models import User
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import seed
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.specialist.models import Specialist
from rhizo.clinic.web.app import create_web_app

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots" / "pages"
DOCS = ROOT / "docs" / "web.md"
#: The generated block of docs/web.md.
MARKERS = ("<!-- pages: written by scripts/screenshots.py -->", "<!-- pages: end -->")
#: The browser suite's fixed day (tests/e2e/conftest.py TODAY): the same cohort.
TODAY = date(2026, 6, 1)
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
#: The role a page is shot as: the first of these that may open it.
ROLE_ORDER = ("clinician", "patient", "admin", "nurse", "researcher", "auditor")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: The top of a desktop page kept (CSS px): enough to show what the page is.
DESKTOP_CLIP_PX = 1000
#: Palette colours of a saved PNG: UI screenshots need few.
COLOURS = 48
MAX_PNG_BYTES = 150_000
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class Shot:
    """One page as shot: its route, the role and URL used, the files' stem, who may open it."""

    route: str
    role: str
    url: str
    name: str
    roles: list[str]


#: What each page shows, for docs/web.md (a page without an entry says so there).
PAGES: dict[str, str] = {
    "/login": "Username and password (then a six-digit code when a second factor is enrolled).",
    "/account": "One's own account: change the password, the second factor's state.",
    "/account/totp": "Enrol a second factor (QR code and key, then a code to confirm).",
    "/": "Sends each role to its start page (admin: users; clinician and nurse: patients; "
    "patient: portal; researcher: research export; auditor: audit log).",
    "/admin/users": "Users: create, role, deactivate, reset password, last login.",
    "/admin/users/{user_id}": "One user: role, active, link a patient login to its record.",
    "/admin/settings": "Clinic settings: name, phone and hours shown wherever a patient is "
    "told to call.",
    "/patients": "Patient list: search by name or MRN, pages of 25.",
    "/patients/new": "Register a patient (demographics, referring clinician).",
    "/patients/{patient_id}": "One patient: open red-flag discharges, pain plot with its "
    "scores, candidacy verdict with every block, plans and what the patient is told, "
    "timeline, record links.",
    "/patients/{patient_id}/edit": "Edit demographics and the referring clinician.",
    "/patients/{patient_id}/medications": "Medications, active and stopped, and the current "
    "plan's holds; add and stop (staff).",
    "/patients/{patient_id}/allergies": "Allergies (contrast, local anaesthetic, latex, "
    "antiseptic, other); add, mark entered in error (staff).",
    "/patients/{patient_id}/blocks/new": "Record a diagnostic block (NRS before and after).",
    "/patients/{patient_id}/plans/new": "Plan a procedure: levels, side, sedation; holds "
    "computed from the medications.",
    "/patients/{patient_id}/plans/{plan_id}/edit": "Edit a draft or scheduled plan.",
    "/patients/{patient_id}/plans/{plan_id}/cancel": "Cancel a plan, with a reason.",
    "/patients/{patient_id}/procedures/new": "Record a procedure, lesion by lesion, with "
    "live stimulation gates; fill from a plan.",
    "/patients/{patient_id}/followups/new": "Record a follow-up (NRS, ODI, PGIC).",
    "/patients/{patient_id}/complications/new": "Record a complication.",
    "/patients/{patient_id}/{kind}/{entry_id}/remove": "Remove an entry recorded in error "
    "(asks first).",
    "/patients/{patient_id}/complications/{complication_id}/resolve": "Resolve a complication.",
    "/procedures/{procedure_id}/discharge": "Discharge: findings, escort, instructions; a "
    "red flag refuses a routine discharge home.",
    "/procedures/{procedure_id}/note": "Operative note: each lesion's level, side, cannula, "
    "thresholds, impedance, anaesthetic, setting, gates and overrides.",
    "/portal": "The patient's own plan: medicines to pause or keep, preparation, the day, "
    "aftercare and warning signs, the pain diary (one tap from the top), FAQ.",
    "/learn/choosing-a-specialist": "Patient education: what to ask a specialist.",
    "/planner": "Lesion planner: lesion size for a cannula and setting, nerve capture for "
    "a joint and placement.",
    "/specialists": "Specialists: volume and outcome rates with intervals.",
    "/specialists/{specialist_id}": "One specialist beside the clinic: rates plot and its "
    "table, complications by type.",
    "/analytics": "Outcomes: how long relief lasts (Kaplan-Meier curves, at-risk counts, "
    "table by group, log-rank).",
    "/audit": "Audit log: filter by patient, user, action, date; CSV; chain check.",
    "/research": "De-identified export (CSV, Parquet) with its data dictionary.",
}


def _serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit("screenshots: the demo app did not start within 20 s")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def html_routes(app: FastAPI) -> list[str]:
    """Every HTML GET page route, in the app's order (the login page first)."""
    routes = ["/login"]
    for context in iter_route_contexts(app.routes):
        route = context.route
        path = context.path or ""
        if not isinstance(route, APIRoute) or "GET" not in (context.methods or ()):
            continue
        if not path or path.startswith(("/api/", "/static/")) or path in routes:
            continue
        kind = route.response_class
        if isinstance(kind, type) and issubclass(kind, HTMLResponse):
            routes.append(path)
    return routes


#: The rows a placeholder belongs to: a route naming one is shot for a patient with one.
ANCHORS: dict[str, type[Complication] | type[Plan] | type[Procedure]] = {
    "complication_id": Complication,
    "plan_id": Plan,
    "procedure_id": Procedure,
}


def demo_ids(session: Session, role: str, route: str) -> dict[str, str]:
    """Placeholder values for ``route`` from the seeded cohort: the patient's own record
    for the patient; for staff, the first patient with a row of each kind the route
    names, else one with a complication (the fullest record).

    The browser suite fills its routes the same way (tests/e2e/phone.py).
    """
    own = session.scalar(sa.select(Patient.id).where(Patient.user_id.is_not(None)))
    needs = [ANCHORS[name] for name in _PLACEHOLDER.findall(route) if name in ANCHORS]
    query = sa.select(Patient.id).where(Patient.user_id.is_(None)).order_by(Patient.id)
    for model in needs or [Complication]:
        query = query.where(sa.exists().where(model.patient_id == Patient.id))
    patient = own if role == "patient" else session.scalar(query)
    if patient is None:
        raise SystemExit(f"screenshots: {route}: no demo patient has every row it names")

    def first(column: Any, *where: sa.ColumnElement[bool]) -> object:
        found = session.scalar(sa.select(column).where(*where).order_by(column))
        if found is None and role == "patient":  # another's row: the page refuses it
            found = session.scalar(sa.select(column).order_by(column))
        return found

    values = {
        "patient_id": patient,
        "procedure_id": first(Procedure.id, Procedure.patient_id == patient),
        "complication_id": first(Complication.id, Complication.patient_id == patient),
        "plan_id": first(Plan.id, Plan.patient_id == patient),
        "entry_id": first(FollowUp.id, FollowUp.patient_id == patient),
        "specialist_id": first(Specialist.id),
        "user_id": first(User.id, User.username == "demo-patient"),
    }
    return {k: str(v) for k, v in values.items() if v is not None} | {"kind": "followups"}


def fill(route: str, ids: dict[str, str]) -> str:
    unknown = [name for name in _PLACEHOLDER.findall(route) if name not in ids]
    if unknown:
        raise SystemExit(f"screenshots: {route}: no demo value for {unknown} (add it to demo_ids)")
    return _PLACEHOLDER.sub(lambda m: ids[m[1]], route)


def name_of(route: str) -> str:
    """``/patients/{patient_id}/plans/new`` -> ``patients-patient-plans-new``."""
    parts = [p.removesuffix("_id").strip("{}") for p in route.strip("/").split("/") if p]
    return "-".join(parts) or "home"


def save_png(data: bytes, target: Path) -> int:
    """``data`` as a palette PNG at ``target``; its size in bytes."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    small = image.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT)
    small.save(target, format="PNG", optimize=True)
    return target.stat().st_size


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def shoot(page: Page, url: str, target: Path, *, phone: bool) -> int:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if phone:
        data = page.screenshot(animations="disabled", caret="hide")
    else:
        height = min(DESKTOP_CLIP_PX, int(page.evaluate("document.documentElement.scrollHeight")))
        clip = {"x": 0, "y": 0, "width": DESKTOP["width"], "height": max(height, 1)}
        data = page.screenshot(full_page=True, clip=clip, animations="disabled", caret="hide")  # type: ignore[arg-type]
    return save_png(data, target)


def run(
    browser: Browser, base_url: str, app: FastAPI, engine: sa.Engine, passwords: dict[str, str]
) -> list[Shot]:
    routes = html_routes(app)
    done: dict[str, Shot] = {}
    sizes: dict[str, int] = {}
    opens: dict[str, list[str]] = {route: [] for route in routes}
    for role in (None, *ROLE_ORDER):
        contexts = {
            wide: browser.new_context(
                base_url=base_url,
                viewport=size,  # type: ignore[arg-type]
                device_scale_factor=1,
                locale="en-US",
                timezone_id="UTC",
                color_scheme="light",
                reduced_motion="reduce",
            )
            for wide, size in (("desktop", DESKTOP), ("phone", PHONE))
        }
        pages = {wide: context.new_page() for wide, context in contexts.items()}
        try:
            if role is not None:
                for tab in pages.values():
                    log_in(tab, f"demo-{role}", passwords[f"demo-{role}"])
            for route in routes if role else ["/login"]:
                if role and route == "/login":
                    continue
                with Session(engine) as session:
                    url = fill(route, demo_ids(session, role or "clinician", route))
                response = pages["desktop"].goto(url)
                if response is None or response.status != 200:
                    continue
                if "text/html" not in (response.headers.get("content-type") or ""):
                    continue
                opens[route].append(role or "anyone")
                if route in done or response.request.redirected_from:
                    continue
                name = name_of(route)
                sizes[f"{name}.png"] = shoot(
                    pages["desktop"], url, OUT / f"{name}.png", phone=False
                )
                sizes[f"{name}.phone.png"] = shoot(
                    pages["phone"], url, OUT / f"{name}.phone.png", phone=True
                )
                done[route] = Shot(route, role or "anyone", url, name, opens[route])
                print(f"  {route} as {role or 'anyone'}: {name}.png", file=sys.stderr)
        finally:
            for context in contexts.values():
                context.close()
    too_big = {k: v for k, v in sizes.items() if v > MAX_PNG_BYTES}
    total = sum(sizes.values())
    largest_kb = max(sizes.values(), default=0) / 1e3
    print(
        f"{len(sizes)} PNGs, {total / 1e6:.2f} MB in all, largest {largest_kb:.0f} KB",
        file=sys.stderr,
    )
    if too_big:
        raise SystemExit(f"screenshots: over {MAX_PNG_BYTES} bytes: {too_big}")
    return [done[r] for r in routes if r in done]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"screenshots: {CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/demo.sqlite3"
        migrate.upgrade(url)
        engine = create_db_engine(url)
        session = create_session_factory(engine)()
        report = seed(session, patients=12, today=TODAY)
        session.close()
        passwords = {name: password for name, (_, password) in report.passwords.items()}
        # env "test": served over plain http on loopback (no Secure cookies); a fresh key;
        # the admin is not held at the second-factor enrolment, so its pages can be shot.
        settings = Settings(
            database_url=url,
            env="test",
            secret_key=SecretStr(secrets.token_urlsafe(48)),
            admin_totp_required=False,
        )
        app = create_web_app(settings, synthetic=True)
        server, thread, base_url = _serve(app)
        try:
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )
                try:
                    shots = run(browser, base_url, app, engine, passwords)
                finally:
                    browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            engine.dispose()
    write_docs(shots)
    return 0


def pages_table(shots: list[Shot]) -> str:
    """The Markdown table of every page: what it shows, who may open it, both shots."""
    lines = [
        "| Page | What it shows | Who may open it | Screenshots (as) |",
        "|---|---|---|---|",
    ]
    for shot in shots:
        shows = PAGES.get(shot.route, "(not described yet: add it to scripts/screenshots.py)")
        # A patient opens only their own record's pages (the app refuses another's).
        own = "{patient_id}" in shot.route
        roles = [r + " (own record)" if own and r == "patient" else r for r in shot.roles]
        lines.append(
            f"| `{shot.route}` | {shows} | {', '.join(roles)} | "
            f"[desktop](screenshots/pages/{shot.name}.png), "
            f"[phone](screenshots/pages/{shot.name}.phone.png) ({shot.role}) |"
        )
    return "\n".join(lines)


def write_docs(shots: list[Shot]) -> None:
    """Replace the generated block of docs/web.md (between :data:`MARKERS`) with the table."""
    text = DOCS.read_text(encoding="utf-8")
    start, end = MARKERS
    if start not in text or end not in text:
        raise SystemExit(f"screenshots: {DOCS} lacks the markers {start} ... {end}")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    DOCS.write_text(f"{head}{start}\n{pages_table(shots)}\n{end}{tail}", encoding="utf-8")
    print(f"wrote {len(shots)} pages into {DOCS}", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())

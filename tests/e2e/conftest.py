"""Real-browser fixtures: the web app served by uvicorn, Debian's Chromium driven by Playwright.

One freshly migrated SQLite database per session, seeded with the 12-patient
synthetic cohort on a fixed day (so screenshots show the same cohort every
run), served by uvicorn on 127.0.0.1 and a free port in a background thread.
Chromium is Debian's ``/usr/bin/chromium`` (``playwright install`` is never
run); each test gets a fresh browser context (no cookies) at 1280x900.

Run with ``pytest -m browser tests/e2e`` (``scripts/test.sh`` does, after
installing Chromium when it is missing).
"""

from __future__ import annotations

import io
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from PIL import Image
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from pydantic import SecretStr

from rhizo.clinic.core import migrate
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.demo.seed import seed
from rhizo.clinic.patient.models import Patient
from rhizo.clinic.web.app import create_web_app

#: The seeded cohort's "today": fixed, so every run shows the same patients and dates.
TODAY = date(2026, 6, 1)
CHROMIUM = Path("/usr/bin/chromium")
#: Flags for a headless Chromium in a container as root, with nothing phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: The top of a page a screenshot keeps, CSS px.
SCREENSHOT_CLIP_PX = 1600
SERVER_START_S = 20.0
#: Auto-waiting limit of every expect(): generous for a slow CI machine, never slept.
expect.set_options(timeout=15_000)


@dataclass(frozen=True)
class DemoPatient:
    """A seeded patient as the database holds it (the tests' reference, not the page)."""

    id: int
    mrn: str
    given_name: str
    family_name: str
    user_id: int | None


@dataclass(frozen=True)
class Clinic:
    """The served app: its URL, database and the seeded cohort's users and patients."""

    base_url: str
    database_url: str
    passwords: dict[str, str]
    patients: dict[str, DemoPatient]

    def engine(self) -> sa.Engine:
        """A fresh engine on the served database (dispose it after use)."""
        return create_db_engine(self.database_url)


def _serve(app: object) -> tuple[uvicorn.Server, threading.Thread, str]:
    # Bind the socket here and hand it over, so no other process can take the port
    # between choosing it and serving on it.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="e2e-uvicorn", daemon=True
    )
    thread.start()
    waited = 0.0
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn stopped before it started serving")
        if waited >= SERVER_START_S:
            raise RuntimeError(f"uvicorn did not start within {SERVER_START_S:g} s")
        thread.join(timeout=0.05)  # waits, and notices a thread that died
        waited += 0.05
    base_url = f"http://127.0.0.1:{port}"
    answer = httpx.get(f"{base_url}/login", timeout=10)
    if answer.status_code != 200:
        raise RuntimeError(f"the served app answered /login with {answer.status_code}")
    return server, thread, base_url


@pytest.fixture(scope="session")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    """The web app on a freshly migrated, seeded SQLite database, served on 127.0.0.1."""
    path = tmp_path_factory.mktemp("e2e") / "demo.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    session = create_session_factory(engine)()
    report = seed(session, patients=12, today=TODAY)
    patients = {
        row.mrn: DemoPatient(row.id, row.mrn, row.given_name, row.family_name, row.user_id)
        for row in session.scalars(sa.select(Patient).order_by(Patient.mrn))
    }
    session.close()
    engine.dispose()
    settings = Settings(database_url=url, env="test", secret_key=SecretStr("e" * 48))
    server, thread, base_url = _serve(create_web_app(settings, synthetic=True))
    try:
        yield Clinic(
            base_url=base_url,
            database_url=url,
            passwords={name: password for name, (_, password) in report.passwords.items()},
            patients=patients,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's sync driver for the whole session."""
    if not CHROMIUM.exists():
        message = (
            f"{CHROMIUM} is missing: install Debian's chromium "
            "(apt-get install --no-install-recommends chromium; scripts/test.sh does)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, with a throw-away profile (launch() makes one)."""
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def page(browser: Browser, clinic: Clinic) -> Iterator[Page]:
    """A page in a fresh context (no cookies) at a fixed viewport, UTC, en-US."""
    context = browser.new_context(
        base_url=clinic.base_url,
        viewport=VIEWPORT,  # type: ignore[arg-type]
        device_scale_factor=1,
        locale="en-US",
        timezone_id="UTC",
        color_scheme="light",
        reduced_motion="reduce",
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def log_in(page: Page, username: str, password: str) -> None:
    """Log in through the login form, as a user would."""
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def screenshot(page: Page, name: str) -> Path:
    """A PNG of the current page in ``docs/screenshots/<name>.png``: its top
    :data:`SCREENSHOT_CLIP_PX` px, as a 64-colour palette PNG (docs stay small:
    a full-page truecolour shot of the portal was 1 MB)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    width = page.viewport_size["width"] if page.viewport_size else VIEWPORT["width"]
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    clip = {"x": 0, "y": 0, "width": width, "height": max(1, min(height, SCREENSHOT_CLIP_PX))}
    data = page.screenshot(full_page=True, clip=clip, animations="disabled", caret="hide")  # type: ignore[arg-type]
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
    return target


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the smoke test first: a Playwright/Chromium skew then fails there, plainly."""
    smoke = Path(__file__).with_name("test_smoke.py")
    items.sort(key=lambda item: 0 if item.path == smoke else 1)

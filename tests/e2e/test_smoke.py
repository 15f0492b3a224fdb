"""First browser test: Debian's Chromium starts under Playwright and renders the login page.

Run first (file order) so a Chromium/Playwright version skew shows up as one
clear failure here rather than as every other test failing.
"""

from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import CHROMIUM, screenshot

pytestmark = pytest.mark.browser


def test_playwright_drives_debians_chromium(browser: Browser) -> None:
    # The package's own --version is the reference: the browser Playwright talks
    # to is /usr/bin/chromium, not a downloaded build.
    reported = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, check=True
    ).stdout
    major = re.search(r"Chromium (\d+)\.", reported)
    assert major is not None, reported
    assert browser.version.split(".")[0] == major.group(1)


def test_login_page_title(page: Page) -> None:
    response = page.goto("/login")
    assert response is not None
    assert response.status == 200
    # base.html: "{title} [SYNTHETIC]" for the demo app; login.html's title is "Log in".
    expect(page).to_have_title("Log in [SYNTHETIC]")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("Username")).to_be_editable()
    screenshot(page, "login")

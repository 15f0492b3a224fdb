"""The print stylesheet (static/print.css, media="print" on every page; issue 16).

The issue printed the portal from the browser and got 6 pages of menus and form
fields. Here the portal is laid out by WeasyPrint for print media, once with
print.css and once without it: with it, the navigation, the diary form and the
buttons are gone while the plan, the warning signs and the decision-support
notice stay, and the page count falls (11 -> 5 pages on the demo portal at
commit time; Chromium's own print, tests/e2e/test_documents_browser.py, 8 -> 5).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from rhizo import DISCLAIMER
from rhizo.clinic.web.app import STATIC_DIR

AsRole = Callable[[str], TestClient]
PRINT_LINK = '<link rel="stylesheet" href="/static/print.css" media="print">'
#: At most this many A4 pages for the demo portal with print.css (5 at commit time).
PORTAL_MAX_PAGES = 5


def _print_pdf(html: str) -> tuple[str, int]:
    """``html`` laid out for print by WeasyPrint with the app's own stylesheets."""
    weasyprint = pytest.importorskip("weasyprint")
    local = html.replace('href="/static/', f'href="{STATIC_DIR.as_uri()}/')
    pdf = weasyprint.HTML(string=local, media_type="print").write_pdf()
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text), len(reader.pages)


def test_every_page_links_the_print_stylesheet(as_role: AsRole) -> None:
    client = as_role("clinician")
    for path in ("/patients", "/planner", "/analytics", "/learn/choosing-a-specialist"):
        assert PRINT_LINK in client.get(path).text, path


def test_the_portal_prints_without_menus_or_forms_on_far_fewer_pages(as_role: AsRole) -> None:
    html = as_role("patient").get("/portal").text
    assert PRINT_LINK in html
    printed, pages = _print_pdf(html)
    screen, screen_pages = _print_pdf(html.replace(PRINT_LINK, ""))
    # What the screen layout prints and the print layout leaves out: the menu, the
    # diary form's labels and buttons.
    assert "Log out" in screen
    assert "Pain now, 0 (none) to 10" in screen
    assert "Log out" not in printed
    assert "Pain now, 0 (none) to 10" not in printed
    assert "download my record" not in printed
    # The content stays: the plan, the warning signs, the notice, the SYNTHETIC label.
    assert "Your plan," in printed
    assert "When to get help" in printed
    assert DISCLAIMER.split(":")[0] in printed
    assert "SYNTHETIC" in printed
    assert pages <= PORTAL_MAX_PAGES, pages
    assert pages < screen_pages, (pages, screen_pages)

"""The vendored htmx: served from this origin, the file the vendor README names."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from fastapi.testclient import TestClient

from rhizo.clinic.web.app import STATIC_DIR
from tests.web.test_forms_support import AsRole

VENDOR = STATIC_DIR / "vendor"
SCRIPT = "htmx-2.0.11.min.js"


def _readme_sha256(name: str) -> str:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"`{re.escape(name)}`[^\n]*?`([0-9a-f]{{64}})`", readme)
    assert match is not None, f"vendor README gives no sha256 for {name}"
    return match.group(1)


def test_vendored_file_matches_its_recorded_hash_and_version() -> None:
    content = (VENDOR / SCRIPT).read_bytes()
    assert hashlib.sha256(content).hexdigest() == _readme_sha256(SCRIPT)
    assert b'version:"2.0.11"' in content  # the file's own version string
    assert (VENDOR / "htmx.LICENSE").read_text(encoding="utf-8").startswith("Zero-Clause BSD")


def test_htmx_is_served_and_loaded_from_this_origin(client: TestClient, as_role: AsRole) -> None:
    served = client.get(f"/static/vendor/{SCRIPT}")
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == _readme_sha256(SCRIPT)
    page = as_role("clinician").get("/patients").text
    assert f'<script src="/static/vendor/{SCRIPT}" defer></script>' in page
    # No script from anywhere else (no CDN).
    assert re.findall(r'<script[^>]*src="(?!/static/)', page) == []


def test_vendor_folder_holds_only_what_the_readme_lists() -> None:
    names = {path.name for path in Path(VENDOR).iterdir()}
    assert names == {SCRIPT, "htmx.LICENSE", "README.md"}

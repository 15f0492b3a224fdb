"""Capture planning on the planner page: the planning package's numbers, bounds and ranking.

References: :func:`rhizo.planning.estimate_capture` called directly with the same
inputs and seed; the bounds of :class:`rhizo.physics.LesionProtocol` and
:class:`rhizo.planning.CannulaPlacement` (exactly at, just inside and just outside
each); ``rhizo recommend --json`` through :func:`rhizo.cli.main` for the ranking.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rhizo.cli import main
from rhizo.clinic.web import planner
from rhizo.physics import LesionProtocol
from rhizo.planning import CannulaPlacement, Joint, estimate_capture, get_joint, lesion_for
from rhizo.planning.lesions import planner_protocol
from tests.web.conftest import csrf_of

AsRole = Callable[[str], TestClient]
CASE = {
    "tissue": "muscle-in-vivo",
    "gauge": "20",
    "tip_length_mm": "8",
    "set_temperature_c": "85",
    "duration_s": "120",
    "joint": "C3-C4",
    "angle_deg": "30",
    "offset_mm": "1.5",
}


def _post(client: TestClient, **fields: str) -> Any:
    token = csrf_of(client.get("/planner").text)
    return client.post("/planner", data={"csrf_token": token, **fields})


def _cells(html: str, row: str) -> dict[str, str]:
    return dict(re.findall(r'<td class="(\w+)">([^<]*)</td>', row))


def test_capture_equals_the_planning_call_for_the_same_inputs_and_seed(
    as_role: AsRole,
) -> None:
    response = _post(as_role("clinician"), **CASE, action="capture")
    assert response.status_code == 200
    html = response.text
    joint = get_joint("C3-C4")
    profile = lesion_for(
        planner_protocol(gauge=20, tip_length_mm=8, set_temperature_c=85, duration_s=120)
    )
    placement = CannulaPlacement(angle_deg=30, offset_mm=1.5)
    section = html.split('id="capture"', 1)[1]
    for nerve in joint.nerves:
        reference = estimate_capture(
            profile,
            nerve,
            placement,
            samples=planner.CAPTURE_SAMPLES,
            seed=planner.CAPTURE_SEED,
        )
        row = section.split(f'data-nerve="{nerve.name}"', 1)[1].split("</tr>", 1)[0]
        cells = _cells(html, row)
        low, high = reference.ci95
        assert cells["p"] == f"{reference.capture_probability:.3f}"
        assert cells["ci"] == f"{low:.3f}-{high:.3f}"
        assert cells["mean"] == f"{reference.mean_captured_length_mm:.1f} mm"
        band_low, band_high = reference.captured_length_band_mm
        assert cells["band"] == f"{band_low:.1f}-{band_high:.1f} mm"
        assert cells["planned"] == f"{reference.planned_captured_length_mm:.1f} mm"
    assert "A model estimate, not a measurement." in section
    assert "Captured = at least 3 mm of nerve wholly inside the lesion" in section
    assert "docs/planning.md" in section
    assert f"{planner.CAPTURE_SAMPLES} samples" in section


@pytest.fixture
def capture_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Joint, CannulaPlacement]]:
    """capture_for replaced by a recorder (bounds tests: no Monte Carlo)."""
    calls: list[tuple[Joint, CannulaPlacement]] = []

    def record(protocol: LesionProtocol, joint: Joint, placement: CannulaPlacement) -> None:
        calls.append((joint, placement))

    monkeypatch.setattr(planner, "capture_for", record)
    monkeypatch.setattr(planner, "default_tables", lambda: _NoTable())
    return calls


class _NoTable:
    def lookup(self, protocol: LesionProtocol, *, build: bool = True) -> str:
        return "test: no table"


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        # CannulaPlacement: 0 <= angle_deg <= 90, 0 <= offset_mm <= 20
        ("angle_deg", "0", True),
        ("angle_deg", "90", True),
        ("angle_deg", "90.01", False),
        ("angle_deg", "-0.01", False),
        ("offset_mm", "0", True),
        ("offset_mm", "20", True),
        ("offset_mm", "20.01", False),
        ("offset_mm", "-0.01", False),
        ("offset_mm", "nan", False),
        ("angle_deg", "inf", False),
        ("angle_deg", "", False),
        ("joint", "L4-L5", True),
        ("joint", "L9-L5", False),
        ("joint", "T4-T5", False),
    ],
)
def test_placement_bounds_are_the_models_and_errors_are_inline(
    as_role: AsRole,
    capture_calls: list[tuple[Joint, CannulaPlacement]],
    field: str,
    value: str,
    ok: bool,
) -> None:
    response = _post(as_role("clinician"), **{**CASE, field: value}, action="capture")
    if ok:
        assert response.status_code == 200
        joint, placement = capture_calls[0]
        if field == "joint":
            assert joint.name == value
        else:
            assert getattr(placement, field) == float(value)
        return
    assert response.status_code == 422
    assert capture_calls == []
    html = response.text
    form = html.split('id="planner-form"', 1)[1].split("</form>", 1)[0]
    # the error sits right after its own field, before the next one
    after = form.split(f'name="{field}"', 1)[1]
    assert '<span class="field-error">' in after.split("<label>", 1)[0]
    if field == "joint":
        assert "allowed: L1-L2, L2-L3" in html
    elif value in ("nan", "inf"):
        assert "is not a finite number" in html
    elif value:
        allowed = "0 to 90" if field == "angle_deg" else "0 to 20"
        assert f"(allowed: {allowed})" in html
    else:
        assert "a value is required" in html


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [
        # LesionProtocol: 2 <= tip <= 20 mm, 37 <= T <= 95 C, 1 <= t <= 600 s, gauges 16-22
        ("tip_length_mm", "2", True),
        ("tip_length_mm", "1.99", False),
        ("tip_length_mm", "20.01", False),
        ("set_temperature_c", "95", True),
        ("set_temperature_c", "95.1", False),
        ("set_temperature_c", "36.9", False),
        ("duration_s", "600", True),
        ("duration_s", "600.5", False),
        ("duration_s", "0.99", False),
        ("gauge", "17", False),
        ("gauge", "eighteen", False),
    ],
)
def test_lesion_bounds_are_the_protocols(
    as_role: AsRole,
    capture_calls: list[tuple[Joint, CannulaPlacement]],
    field: str,
    value: str,
    ok: bool,
) -> None:
    response = _post(as_role("clinician"), **{**CASE, field: value}, action="capture")
    assert response.status_code == (200 if ok else 422)
    assert bool(capture_calls) is ok
    if not ok:
        after = response.text.split(f'name="{field}"', 1)[1].split("<label>", 1)[0]
        assert '<span class="field-error">' in after


def test_recommend_on_the_page_equals_rhizo_recommend_json(
    as_role: AsRole,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from rhizo.planning import recommend as recommend_module

    # A small grid keeps the test quick (the default grid: benchmarks/capture.py).
    original = recommend_module.candidate_grid

    def small_grid() -> list[recommend_module.Candidate]:
        return original(gauges=(16, 22), tips_mm=(10.0,), temperatures_c=(80.0,), times_s=(90.0,))

    monkeypatch.setattr(recommend_module, "candidate_grid", small_grid)
    response = _post(as_role("clinician"), **{**CASE, "joint": "L4-L5"}, action="recommend")
    assert response.status_code == 200
    assert main(["recommend", "--joint", "L4-L5", "--offset-mm", "1.5", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    safe = [entry for entry in payload["ranking"] if entry["safe"]]
    assert safe, "the small grid has safe settings"
    body = response.text.split('id="recommend"', 1)[1].split("</tbody>", 1)[0]
    rows = body.split("<tbody>", 1)[1].split("</tr>")[:-1]
    assert len(rows) == min(planner.RECOMMEND_ROWS, len(safe))
    for row, entry in zip(rows, safe, strict=False):
        cells = _cells(body, row)
        low, high = entry["joint_ci95"]
        assert cells["gauge"] == f"{entry['gauge']} G"
        assert cells["technique"] == entry["technique"]
        assert cells["p"] == f"{entry['joint_capture_probability']:.3f}"
        assert cells["ci"] == f"{low:.3f}-{high:.3f}"
        assert cells["length"] == f"{entry['expected_coagulated_length_mm']:.1f} mm"
        assert cells["volume"] == f"{entry['union_volume_mm3']:.0f} mm³"
        assert cells["n"] == str(entry["samples"])
    excluded = len(payload["ranking"]) - len(safe)
    alternative = payload["recommendation"]["largest_capture_alternative"]
    if alternative is None:
        assert 'id="alternative"' not in response.text
    else:
        assert f"Largest-capture alternative (#{alternative['rank']})" in response.text
    assert f"({excluded} excluded by the safety constraints)" in response.text

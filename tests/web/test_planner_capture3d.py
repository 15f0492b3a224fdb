"""The planner page's 3D capture: the planning call's numbers, the slices, the joint refusal.

Reference: :func:`rhizo.planning.capture3d_run.capture3d` called directly with the
page's inputs, cells, samples and seed (the engine is deterministic). Four 3D runs at
0.75 mm: about 10 s on an idle core, marked slow (46 s at load 6 on two cores)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from rhizo.clinic.web import planner, planner3d
from rhizo.planning import CannulaPlacement, get_joint
from rhizo.planning.capture3d_run import capture3d
from rhizo.planning.lesions import planner_protocol
from tests.web.conftest import csrf_of

AsRole = Callable[[str], TestClient]
CASE = {
    "tissue": "muscle-in-vivo",
    "gauge": "18",
    "tip_length_mm": "10",
    "set_temperature_c": "80",
    "duration_s": "60",
    "joint": "L5-S1",
    "angle_deg": "0",
    "offset_mm": "1",
}


def _post(client: TestClient, **fields: str) -> str:
    token = csrf_of(client.get("/planner").text)
    response = client.post("/planner", data={"csrf_token": token, **fields})
    return f"{response.status_code}\n{response.text}"


@pytest.mark.slow
def test_3d_capture_equals_the_planning_call(
    as_role: AsRole, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planner3d, "WEB_CELL_MM", 0.75)
    monkeypatch.setattr(planner, "CAPTURE_SAMPLES", 300)
    status, html = _post(as_role("clinician"), **CASE, action="capture3d").split("\n", 1)
    assert status == "200"
    section = html.split('id="capture3d"', 1)[1].split("</section>", 1)[0]
    protocol = planner_protocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=60)
    placement = CannulaPlacement(angle_deg=0, offset_mm=1)
    for nerve in get_joint("L5-S1").nerves:
        expected = capture3d(protocol, nerve, placement, cell_mm=0.75, samples=300, seed=0)
        row = section.split(f'data-nerve="{nerve.name}"', 1)[1].split("</tr>", 1)[0]
        cells = dict(re.findall(r'<td class="(\w+)">([^<]*)</td>', row))
        assert cells["p"] == f"{expected.estimate.capture_probability:.3f}"
        assert cells["planned"] == f"{expected.estimate.planned_captured_length_mm:.1f} mm"
        assert cells["bone"] == expected.bone
    assert section.count("<svg") == 1
    assert "0.75 mm cells; 300 samples per nerve" in section


def test_a_joint_without_parametric_bone_is_refused_inline(as_role: AsRole) -> None:
    status, html = _post(
        as_role("clinician"), **{**CASE, "joint": "C3-C4"}, action="capture3d"
    ).split("\n", 1)
    assert status == "422"
    assert "the 3D engine with bone: one of L4-L5, L5-S1" in html
    assert 'id="capture3d"' not in html

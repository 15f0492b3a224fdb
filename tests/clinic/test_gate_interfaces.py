"""One gate verdict at every interface: ``rhizo gate``, ``POST /gates/lesion`` and the web form.

Audit W4 boundaries of the motor-test floor max(2 V, 2 x sensory threshold)
(knowledge ``gates/motor-test-voltage``; common teaching, evidence recalled):
each case is sent to the CLI, the API and the web form's row verdict, and the
three must agree with the literal expected here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tests.clinic.conftest import TestClient
from tests.clinic.factories import good_lesion, make_user

from rhizo.cli import main
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.web.forms import lesions as lesion_rows

Headers = dict[str, str]

#: (sensory threshold V, motor response, motor voltage V or None, proceeds, blocking rule).
CASES = [
    (0.3, "none", 1.99, False, "motor-test-voltage"),  # just below 2 V
    (0.3, "none", 2.0, True, None),  # exactly at 2 V
    (0.3, "none", 2.01, True, None),  # just above
    (1.5, "multifidus", 2.99, False, "motor-test-voltage"),  # just below 2 x 1.5 V
    (1.5, "multifidus", 3.0, True, None),  # exactly at 3 V
    (0.3, "none", 0.6, False, "motor-test-voltage"),  # audit case G4
    (0.3, "none", None, False, "motor-test-voltage-missing"),
    (0.3, None, None, False, "motor-test-missing"),
    (0.3, "limb", 2.0, False, "motor-limb-contraction"),
]


def _lesion(sensory_v: float, motor: str | None, voltage_v: float | None) -> dict[str, Any]:
    values = good_lesion(sensory_threshold_v=sensory_v, motor_response=motor)
    values["motor_test_voltage_v"] = voltage_v
    return {key: value for key, value in values.items() if value is not None}


def _cli(lesion: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> tuple[bool, set[str]]:
    args = [
        "gate",
        "--nerve",
        lesion["target_nerve"],
        "--side",
        lesion["side"],
        "--sensory-threshold",
        str(lesion["sensory_threshold_v"]),
        "--sensory-response",
        lesion["sensory_response"],
        "--local-anaesthetic",
        "--gauge",
        str(lesion["gauge"]),
        "--tip-length",
        str(lesion["tip_length_mm"]),
        "--temperature",
        str(lesion["set_temperature_c"]),
        "--duration",
        str(lesion["duration_s"]),
        "--placement",
        lesion["placement"],
        "--json",
    ]
    if "motor_response" in lesion:
        args += ["--motor-response", lesion["motor_response"]]
    if "motor_test_voltage_v" in lesion:
        args += ["--motor-voltage", str(lesion["motor_test_voltage_v"])]
    code = main(args)
    payload = json.loads(capsys.readouterr().out)
    assert code == (0 if payload["proceed"] else 1)
    return payload["proceed"], {f["rule"] for f in payload["findings"] if f["blocking"]}


def _form(lesion: dict[str, Any]) -> tuple[bool, set[str]]:
    form = {
        lesion_rows.input_name(0, name): str(value)
        for name, value in lesion.items()
        if name in lesion_rows.TEXT_FIELDS
    }
    form[lesion_rows.input_name(0, "performed")] = "1"
    form[lesion_rows.input_name(0, "local_anaesthetic_given")] = "1"
    view = lesion_rows.gate_view(lesion_rows.row_values(form, 0))
    return view.state == "ok", {f.rule for f in view.blocking}


@pytest.mark.parametrize(("sensory_v", "motor", "voltage_v", "proceeds", "rule"), CASES)
def test_cli_api_and_form_agree(
    sensory_v: float,
    motor: str | None,
    voltage_v: float | None,
    proceeds: bool,
    rule: str | None,
    client: TestClient,
    session: Any,
    token_for: Callable[[User], Headers],
    capsys: pytest.CaptureFixture[str],
) -> None:
    lesion = _lesion(sensory_v, motor, voltage_v)
    expected = (proceeds, set() if rule is None else {rule})
    headers = token_for(make_user(session, Role.CLINICIAN))
    response = client.post("/api/v1/gates/lesion", headers=headers, json=lesion)
    assert response.status_code == 200
    body = response.json()
    api = (body["proceed"], {f["rule"] for f in body["findings"] if f["blocking"]})
    assert api == expected
    assert body["outcome"] == ("proceed" if proceeds else "blocked")
    assert _cli(lesion, capsys) == expected
    assert _form(lesion) == expected


def test_cli_bad_voltage_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", "--nerve", "L4 medial branch", "--motor-voltage", "12"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--motor-voltage: 12.0 is not allowed" in err
    assert "Traceback" not in err

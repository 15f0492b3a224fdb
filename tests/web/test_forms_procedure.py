"""The procedure form: lesion rows, live gate fragment, blocked lesions, all or nothing.

Gate numbers come from the pathway knowledge (``gates.yaml``), never retyped:
the motor-test floor (2 V or twice the sensory threshold; spine-trainer), the
sensory cut-off (0.5 V; Koh 2017), the guideline's lesion time, temperature
range and cannula size (Cohen 2020, Table 11).
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.procedure.models import Procedure
from rhizo.clinic.specialist.models import Specialist
from rhizo.pathway.facts import entry
from tests.web.test_forms_support import (
    REFUSED_ROLES,
    AsRole,
    audit_rows,
    db,
    form_page,
    new_patient,
)

GATES = "gates"
MOTOR_FLOOR_V = float(entry(GATES, "motor-test-voltage")["value_v"])
MOTOR_MULTIPLE = float(entry(GATES, "motor-test-voltage")["sensory_multiple"])
SENSORY_CUTOFF_V = float(entry(GATES, "sensory-threshold")["value_v"])
MIN_DURATION_S = float(entry(GATES, "lesion-duration")["min_duration_s"])
MIN_TEMPERATURE_C = float(entry(GATES, "lesion-temperature")["min_temperature_c"])
MAX_TEMPERATURE_C = float(entry(GATES, "lesion-temperature")["max_temperature_c"])
MAX_GAUGE = int(entry(GATES, "cannula-size")["max_gauge"])


def _performer(app: FastAPI) -> int:
    with db(app) as session:
        found = session.scalar(sa.select(Specialist.id).where(Specialist.active.is_(True)))
    assert found is not None
    return found


def passing_lesion(nerve: str = "L4 medial branch", side: str = "left") -> dict[str, str]:
    """A lesion every gate passes: the values sit on the rules' own limits."""
    sensory_v = SENSORY_CUTOFF_V / 2  # below the cut-off
    return {
        "target_nerve": nerve,
        "side": side,
        "performed": "1",
        "gauge": str(MAX_GAUGE),
        "tip_length_mm": "10",
        "placement": "parallel",
        "sensory_threshold_v": f"{sensory_v:g}",
        "sensory_response": "concordant",
        "motor_response": "multifidus",
        # Exactly the floor: "below the floor" is the advisory rule, so this passes.
        "motor_test_voltage_v": f"{max(MOTOR_FLOOR_V, MOTOR_MULTIPLE * sensory_v):g}",
        "local_anaesthetic_given": "1",
        "set_temperature_c": f"{(MIN_TEMPERATURE_C + MAX_TEMPERATURE_C) / 2:g}",
        "duration_s": f"{MIN_DURATION_S:g}",
    }


CHECKBOXES = ("performed", "local_anaesthetic_given", "override")


def rows_form(rows: list[dict[str, str]]) -> dict[str, str]:
    """The rows as a browser posts them: an unticked checkbox is not sent at all."""
    data = {"lesion_count": str(len(rows))}
    for index, row in enumerate(rows):
        data |= {
            f"lesions-{index}-{name}": value
            for name, value in row.items()
            if value or name not in CHECKBOXES
        }
    return data


def procedure_form(
    app: FastAPI, csrf: str, rows: list[dict[str, str]], **extra: str
) -> dict[str, str]:
    data = {
        "csrf_token": csrf,
        "performer_id": str(_performer(app)),
        "performed_at": "2026-05-04T09:30",
        "technique": "conventional",
        "region": "lumbar",
        "side": "left",
        "levels": "L4-L5",
        "sedation": "none",
        "status": "completed",
        "action": "save",
    }
    return data | rows_form(rows) | extra


def _procedures(app: FastAPI, patient_id: int) -> list[Procedure]:
    with db(app) as session:
        rows = session.scalars(sa.select(Procedure).where(Procedure.patient_id == patient_id))
        found = list(rows)
        for procedure in found:
            _ = procedure.lesions  # load before the session closes
        return found


def _gate_box(html: str, index: int) -> str:
    start = html.index(f'id="lesion-{index}-gate"')
    return html[html.rindex("<div", 0, start) : html.index("</div>", start)]


# --- access ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["clinician", "admin"])
def test_procedure_form_renders_for_procedure_writers(
    as_role: AsRole, web_app: FastAPI, role: str
) -> None:
    pid = new_patient(web_app)
    html, _ = form_page(as_role(role), f"/patients/{pid}/procedures/new")
    assert 'id="procedure-form"' in html
    assert 'name="lesions-0-motor_response"' in html
    assert 'hx-target="#lesion-0-gate"' in html
    assert 'name="lesions-0-override"' in html  # both hold gate:override


@pytest.mark.parametrize("role", ["nurse", *REFUSED_ROLES])
def test_procedure_form_refused_without_procedure_write(
    as_role: AsRole, web_app: FastAPI, role: str
) -> None:
    # REST: POST /patients/{id}/procedures needs procedure:write, which nurses lack.
    pid = new_patient(web_app)
    client = as_role(role)
    assert client.get(f"/patients/{pid}/procedures/new").status_code == 403
    assert client.post(f"/patients/{pid}/procedures/new", data={}).status_code == 403
    assert client.post(f"/patients/{pid}/procedures/gate", data={}).status_code == 403


def test_procedure_form_needs_login(client: TestClient, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    for path in (f"/patients/{pid}/procedures/new",):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


def test_procedure_post_and_fragments_without_csrf_are_refused(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    data = procedure_form(web_app, "forged", [passing_lesion()])
    assert client.post(f"/patients/{pid}/procedures/new", data=data).status_code == 403
    gate = rows_form([passing_lesion()]) | {"row": "0"}
    assert client.post(f"/patients/{pid}/procedures/gate", data=gate).status_code == 403
    assert client.post(f"/patients/{pid}/procedures/row", data=gate).status_code == 403
    assert _procedures(web_app, pid) == []


# --- recording -------------------------------------------------------------------


def test_procedure_with_two_lesions_is_recorded_and_audited(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    rows = [passing_lesion("L3 medial branch"), passing_lesion("L4 medial branch")]
    response = client.post(
        f"/patients/{pid}/procedures/new",
        data=procedure_form(web_app, csrf, rows),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/patients/{pid}?saved=procedure#flash"
    (procedure,) = _procedures(web_app, pid)
    assert procedure.levels == ["L4-L5"]
    assert procedure.performed_at.hour == 9  # the test app's clinic zone is UTC
    assert [lesion.target_nerve for lesion in procedure.lesions] == [
        "L3 medial branch",
        "L4 medial branch",
    ]
    assert all(lesion.performed and lesion.gate_proceed for lesion in procedure.lesions)
    assert procedure.lesions[0].motor_test_voltage_v == max(
        MOTOR_FLOOR_V, MOTOR_MULTIPLE * SENSORY_CUTOFF_V / 2
    )
    (row,) = audit_rows(web_app, "procedure", pid, AuditAction.CREATE)
    assert row.entity_id == str(procedure.id)
    assert row.details == {"lesions": 2, "overrides": 0}
    page = client.get(response.headers["location"])
    assert 'id="flash"' in page.text
    assert f'id="action-discharge-{procedure.id}"' in page.text


def test_limb_twitch_blocks_the_whole_procedure_with_the_reason(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    twitch = passing_lesion("L4 medial branch") | {"motor_response": "limb"}
    rows = [passing_lesion("L3 medial branch"), twitch]
    response = client.post(
        f"/patients/{pid}/procedures/new", data=procedure_form(web_app, csrf, rows)
    )
    assert response.status_code == 422
    html = response.text
    rule = entry(GATES, "motor-limb-contraction")
    blocked = _gate_box(html, 1)
    assert "gate-blocked" in blocked
    assert 'data-rule="motor-limb-contraction"' in blocked
    assert str(escape(rule["message"])) in blocked
    assert str(escape(rule["source"].cite())) in blocked
    assert "motor response = limb" in blocked
    assert "gate-ok" in _gate_box(html, 0)
    # The service's refusal, inline next to the field, and the typed values kept.
    assert 'id="lesions-1-motor_response-error"' in html
    assert 'value="L4 medial branch"' in html
    assert '<option value="limb" selected>' in html
    assert _procedures(web_app, pid) == []
    assert audit_rows(web_app, "procedure", pid, AuditAction.CREATE) == []


def test_blocked_position_recorded_as_not_performed(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    twitch = passing_lesion() | {"motor_response": "limb", "performed": ""}
    response = client.post(
        f"/patients/{pid}/procedures/new",
        data=procedure_form(web_app, csrf, [twitch, passing_lesion()]),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    (procedure,) = _procedures(web_app, pid)
    first, second = procedure.lesions
    assert (first.performed, first.gate_proceed) == (False, False)
    assert (second.performed, second.gate_proceed) == (True, True)


def test_override_needs_a_reason_and_is_stored_with_its_author(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    no_la = passing_lesion() | {"local_anaesthetic_given": "", "override": "1"}
    short = client.post(
        f"/patients/{pid}/procedures/new",
        data=procedure_form(web_app, csrf, [no_la | {"override_reason": "allergy"}]),
    )
    assert short.status_code == 422
    assert 'id="lesions-0-override_reason-error"' in short.text
    assert "at least 10 characters" in short.text
    assert _procedures(web_app, pid) == []
    reason = "documented allergy to local anaesthetics"
    saved = client.post(
        f"/patients/{pid}/procedures/new",
        data=procedure_form(web_app, csrf, [no_la | {"override_reason": reason}]),
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    (procedure,) = _procedures(web_app, pid)
    (lesion,) = procedure.lesions
    assert lesion.override_reason == reason
    assert lesion.gate_proceed is False
    assert lesion.override_by_id is not None
    (row,) = audit_rows(web_app, "procedure", pid, AuditAction.CREATE)
    assert row.details == {"lesions": 1, "overrides": 1}


def test_invalid_lesion_value_is_inline_and_kept(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("admin")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    hot = passing_lesion() | {"set_temperature_c": "120"}
    response = client.post(
        f"/patients/{pid}/procedures/new",
        data=procedure_form(web_app, csrf, [hot], levels="L4-L5, L5"),
    )
    assert response.status_code == 422
    html = response.text
    # LesionCreate: set_temperature_c le=95.
    assert 'id="lesions-0-set_temperature_c-error"' in html
    assert "less than or equal to 95" in html
    assert 'value="120"' in html
    assert 'id="levels-error"' in html
    assert _procedures(web_app, pid) == []


# --- rows without JavaScript and with htmx ------------------------------------------


def test_add_and_remove_rows_without_javascript(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    first = passing_lesion() | {"gauge": "16"}
    added = client.post(
        f"/patients/{pid}/procedures/new",
        data=procedure_form(web_app, csrf, [first], action="add_row"),
    )
    assert added.status_code == 200
    assert 'id="lesion-1"' in added.text
    assert 'name="lesion_count" value="2"' in added.text
    # The new row carries the cannula of the row above, but not its findings.
    assert 'id="lesions-1-gauge" name="lesions-1-gauge" type="text" value="16"' in added.text
    assert 'id="lesions-1-target_nerve" name="lesions-1-target_nerve" type="text" value=""' in (
        added.text
    )
    removed = client.post(
        f"/patients/{pid}/procedures/new",
        data=procedure_form(
            web_app, csrf, [first, passing_lesion("L5 dorsal ramus")], action="remove_row-0"
        ),
    )
    assert removed.status_code == 200
    assert 'value="L5 dorsal ramus"' in removed.text
    assert 'id="lesion-1"' not in removed.text
    assert _procedures(web_app, pid) == []


def test_row_fragment_appends_one_row_and_updates_the_count(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    response = client.post(
        f"/patients/{pid}/procedures/row",
        data={"csrf_token": csrf} | rows_form([passing_lesion(), passing_lesion()]),
    )
    assert response.status_code == 200
    html = response.text
    assert html.count('class="lesion-row"') == 1
    assert 'id="lesion-2"' in html
    assert 'hx-target="#lesion-2-gate"' in html
    assert 'id="lesion_count" name="lesion_count" value="3" hx-swap-oob="true"' in html
    assert "<html" not in html


# --- the live gate fragment ------------------------------------------------------


def _gate(client: TestClient, pid: int, csrf: str, lesion: dict[str, Any]) -> str:
    response = client.post(
        f"/patients/{pid}/procedures/gate",
        data={"csrf_token": csrf, "row": "0"} | rows_form([lesion]),
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="gate')
    return response.text


def test_gate_fragment_passes_and_blocks(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    passing = _gate(client, pid, csrf, passing_lesion())
    assert "gate-ok" in passing
    assert "gate-blocked" not in passing
    failing = _gate(client, pid, csrf, passing_lesion() | {"motor_response": "limb"})
    assert "gate-blocked" in failing
    assert str(escape(entry(GATES, "motor-limb-contraction")["message"])) in failing
    radicular = _gate(client, pid, csrf, passing_lesion() | {"sensory_response": "radicular"})
    assert 'data-rule="sensory-radicular"' in radicular
    assert "gate-blocked" in radicular
    not_done = _gate(
        client, pid, csrf, passing_lesion() | {"motor_response": "limb", "performed": ""}
    )
    assert "gate-not-performed" in not_done
    incomplete = _gate(client, pid, csrf, passing_lesion() | {"gauge": "abc"})
    assert "gate-incomplete" in incomplete
    # Nothing is written by a gate check.
    assert _procedures(web_app, pid) == []


def test_gate_fragment_uses_the_rules_own_thresholds(as_role: AsRole, web_app: FastAPI) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    sensory_v = SENSORY_CUTOFF_V * 1.5  # above the cut-off: the floor is twice it
    floor_v = max(MOTOR_FLOOR_V, MOTOR_MULTIPLE * sensory_v)
    at_floor = passing_lesion() | {
        "sensory_threshold_v": f"{sensory_v:g}",
        "motor_test_voltage_v": f"{floor_v:g}",
    }
    below = at_floor | {"motor_test_voltage_v": f"{floor_v - 0.1:g}"}
    html_at = _gate(client, pid, csrf, at_floor)
    html_below = _gate(client, pid, csrf, below)
    assert 'data-rule="motor-test-voltage"' not in html_at
    assert 'data-rule="motor-test-voltage"' in html_below
    assert 'data-rule="sensory-threshold"' in html_at  # advisory, not blocking
    # Audit W4: a motor test below the floor does not reassure; it blocks as a missing one.
    assert "gate-ok" in html_at
    assert "gate-blocked" in html_below
    short = passing_lesion() | {"duration_s": f"{MIN_DURATION_S - 1:g}"}
    assert 'data-rule="lesion-duration"' in _gate(client, pid, csrf, short)
    assert 'data-rule="lesion-duration"' not in _gate(client, pid, csrf, passing_lesion())
    thin = passing_lesion() | {"gauge": str(MAX_GAUGE + 2)}
    assert 'data-rule="cannula-size"' in _gate(client, pid, csrf, thin)
    hot = passing_lesion() | {"set_temperature_c": f"{MAX_TEMPERATURE_C + 1:g}"}
    assert 'data-rule="lesion-temperature"' in _gate(client, pid, csrf, hot)

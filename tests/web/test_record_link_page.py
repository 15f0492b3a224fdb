"""The record link on the patient page: each lesion's predicted capture beside it (issue 17).

The percent shown is checked against the capture planner called directly with
the lesion's parameters (second implementation), and the caveat and model
name must be on the page; a lesion the planner cannot predict shows why.
"""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI
from markupsafe import escape

from rhizo.clinic.outcomes.durability import Grouping, analyse
from rhizo.clinic.outcomes.snapshot import compute_snapshot
from rhizo.clinic.procedure.prediction import CAPTURE_BAND_LABELS, NO_PREDICTION_BAND
from rhizo.planning import CannulaPlacement, estimate_capture, get_joint, lesion_for
from rhizo.planning.lesions import planner_protocol
from tests.web.test_forms_procedure import _procedures, passing_lesion, procedure_form
from tests.web.test_forms_support import AsRole, form_page, new_patient


def test_patient_page_shows_each_lesions_predicted_capture(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, f"/patients/{pid}/procedures/new")
    parallel = passing_lesion("L4 medial branch")
    oblique = passing_lesion("L3 medial branch") | {"placement": "oblique"}
    response = client.post(
        f"/patients/{pid}/procedures/new",
        data=procedure_form(web_app, csrf, [parallel, oblique]),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    (procedure,) = _procedures(web_app, pid)
    first, second = procedure.lesions
    estimate = estimate_capture(
        lesion_for(
            planner_protocol(
                gauge=int(parallel["gauge"]),
                tip_length_mm=float(parallel["tip_length_mm"]),
                set_temperature_c=float(parallel["set_temperature_c"]),
                duration_s=float(parallel["duration_s"]),
            )
        ),
        get_joint("L4-L5").nerves[1],
        CannulaPlacement(angle_deg=0.0),
        samples=2000,
        seed=0,
    )
    assert first.predicted_capture_probability == estimate.capture_probability
    page = client.get(f"/patients/{pid}").text
    shown = (
        f"predicted capture {100 * estimate.capture_probability:.0f} %, expected coagulated "
        f"nerve {estimate.mean_captured_length_mm:.1f} mm (model {first.prediction_model}; "
        "a model estimate, not a measurement)"
    )
    assert str(escape(shown)) in page
    assert second.prediction_note is not None
    assert str(escape(second.prediction_note)) in page
    assert "no recorded angle to the nerve" in second.prediction_note


def test_outcomes_page_groups_by_predicted_capture_band(as_role: AsRole, web_app: FastAPI) -> None:
    html = as_role("researcher").get("/analytics?grouping=capture").text
    assert 'value="capture" selected' in html
    session = web_app.state.session_factory()
    try:
        snapshot = compute_snapshot(
            session=session, as_of=date.today(), zone=web_app.state.settings.clinic_zone
        )
    finally:
        session.close()
    report = analyse(snapshot, grouping=Grouping.CAPTURE, performer_names={})
    assert report is not None
    assert report.groups
    for group in report.groups:
        assert group.key in (*CAPTURE_BAND_LABELS, NO_PREDICTION_BAND)
        assert str(escape(group.label)) in html
    # The seeded lesions (18 G, 10 mm, 80 C, 90 s, parallel) are all predicted.
    assert NO_PREDICTION_BAND not in {g.key for g in report.groups}

"""The planner's tissue select: every catalogue tissue, in-vivo by default, ex-vivo warned.

References: the physics catalogue (:data:`rhizo.physics.tissue.TISSUES`) and its
naming (``-in-vivo`` tissues are the perfused, living ones; the check of
:func:`rhizo.clinic.web.planner_form.is_living` against the names is independent
of the perfusion rule it uses).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from rhizo.clinic.web import planner
from rhizo.clinic.web.planner_form import is_living, tissue_options
from rhizo.physics import CLINICAL_TISSUE, LesionProtocol
from rhizo.physics.surrogate import LesionAnswer
from rhizo.physics.tissue import TISSUES
from tests.web.conftest import csrf_of

AsRole = Callable[[str], TestClient]
OPTION = re.compile(r'<option value="([^"]+)" title="[^"]*"( selected)?>([^<]+)</option>')
WARNING = "Not a patient's tissue"


def _tissue_select(html: str) -> list[tuple[str, bool, str]]:
    block = html.split('<select name="tissue"', 1)[1].split("</select>", 1)[0]
    return [(value, bool(selected), text) for value, selected, text in OPTION.findall(block)]


def test_every_catalogue_tissue_is_offered_and_the_clinical_one_is_chosen(
    as_role: AsRole,
) -> None:
    html = as_role("clinician").get("/planner").text
    options = _tissue_select(html)
    assert sorted(value for value, _, _ in options) == sorted(TISSUES)
    assert [value for value, selected, _ in options if selected] == [CLINICAL_TISSUE]
    assert CLINICAL_TISSUE == "muscle-in-vivo"
    for value, _, text in options:
        living = value.endswith("-in-vivo")
        assert ("living tissue (perfused)" in text) is living, text
        assert ("not living" in text) is not living, text
        tissue = TISSUES[value]
        cited = f"{len(tissue.sources)} properties cited"
        recalled = f"; {len(tissue.unverified)} recalled, not read" if tissue.unverified else ""
        assert text.endswith(f"; {cited}{recalled}"), text
    assert WARNING not in html  # the default is a patient's tissue
    assert "Where the numbers for muscle-in-vivo come from" in html


def test_living_means_perfused_as_the_catalogue_names_say() -> None:
    for name, tissue in TISSUES.items():
        assert is_living(tissue) is name.endswith("-in-vivo"), name
    assert tissue_options()[0].name == CLINICAL_TISSUE


class _Recorder:
    """Tables that never answer, recording the protocols they are asked about."""

    def __init__(self) -> None:
        self.asked: list[LesionProtocol] = []

    def lookup(self, protocol: LesionProtocol, *, build: bool = True) -> LesionAnswer | str:
        assert build is False
        self.asked.append(protocol)
        return "test: no table"


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    tables = _Recorder()
    monkeypatch.setattr(planner, "default_tables", lambda: tables)
    return tables


@pytest.mark.parametrize("tissue", ["chicken-breast-ex-vivo", "liver-ex-vivo", "egg-white"])
def test_an_ex_vivo_choice_is_computed_in_it_and_warned(
    as_role: AsRole, recorder: _Recorder, tissue: str
) -> None:
    client = as_role("clinician")
    token = csrf_of(client.get("/planner").text)
    response = client.post(
        "/planner", data={"csrf_token": token, "tissue": tissue, "action": "lesion"}
    )
    assert response.status_code == 200
    html = response.text
    assert [protocol.tissue.name for protocol in recorder.asked] == [tissue]
    assert f"Computed in {tissue} from" in html
    assert f"{WARNING}: {tissue} is a bench sample" in html
    assert [value for value, selected, _ in _tissue_select(html) if selected] == [tissue]


def test_the_in_vivo_choice_carries_no_warning(as_role: AsRole, recorder: _Recorder) -> None:
    client = as_role("nurse")
    token = csrf_of(client.get("/planner").text)
    html = client.post(
        "/planner", data={"csrf_token": token, "tissue": "fat-in-vivo", "action": "lesion"}
    ).text
    assert recorder.asked[0].tissue.name == "fat-in-vivo"
    assert WARNING not in html


def test_an_unknown_tissue_is_refused_inline(as_role: AsRole, recorder: _Recorder) -> None:
    client = as_role("clinician")
    token = csrf_of(client.get("/planner").text)
    response = client.post("/planner", data={"csrf_token": token, "tissue": "granite"})
    assert response.status_code == 422
    assert "unknown tissue &#39;granite&#39;; allowed:" in response.text
    assert recorder.asked == []

"""The planner page says where its lesion came from: surrogate table, engine or full solve."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rhizo import DISCLAIMER
from rhizo.clinic.web import planner
from rhizo.physics import LesionProtocol
from rhizo.physics.surrogate import HeldOutError, LesionAnswer
from rhizo.physics.surrogate_cache import LesionTables
from tests.web.conftest import csrf_of

AsRole = Callable[[str], TestClient]
FORM = {
    "tissue": "muscle-in-vivo",
    "gauge": "18",
    "tip_length_mm": "10",
    "set_temperature_c": "80",
    "duration_s": "90",
}


class _OneAnswer(LesionTables):
    """Tables that answer every protocol with one fixed surrogate answer (a view test)."""

    def __init__(self, answer: LesionAnswer, cache_dir: Path) -> None:
        super().__init__(cache_dir=cache_dir)
        self.fixed = answer
        self.asked: list[LesionProtocol] = []

    def lookup(self, protocol: LesionProtocol, *, build: bool = True) -> LesionAnswer | str:
        assert build is False  # a request never builds a table
        self.asked.append(protocol)
        return LesionAnswer(**{**self.fixed.__dict__, "protocol": protocol})


@pytest.fixture
def surrogate_tables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> _OneAnswer:
    from rhizo.physics.lesion import LesionDimensions

    dims = LesionDimensions(
        boundary="arrhenius",
        width_mm=9.87,
        length_mm=15.4,
        distal_extension_mm=2.5,
        proximal_extension_mm=2.9,
        volume_mm3=700.0,
    )
    answer = LesionAnswer(
        protocol=LesionProtocol(),
        source="surrogate",
        boundaries={"arrhenius": dims},
        profiles_m={},
        peak_tissue_temperature_c=88.8,
        table_key="k" * 64,
        held_out=HeldOutError(
            points=16,
            max_width_error_pct=0.41,
            mean_width_error_pct=0.1,
            max_length_error_pct=0.3,
            max_profile_error_pct=0.5,
        ),
    )
    tables = _OneAnswer(answer, tmp_path)
    monkeypatch.setattr(planner, "default_tables", lambda: tables)
    return tables


def _post(client: TestClient, **extra: str) -> str:
    page = client.get("/planner")
    response = client.post("/planner", data={"csrf_token": csrf_of(page.text), **FORM, **extra})
    assert response.status_code == 200
    return response.text


def test_planner_answers_from_the_table_and_offers_a_solve(
    as_role: AsRole, surrogate_tables: _OneAnswer
) -> None:
    text = _post(as_role("clinician"))
    assert "9.9 mm" in text
    assert "88.8 °C" in text
    assert "from the surrogate table (max held-out error 0.41 %)" in text
    assert 'data-kind="table"' in text
    assert 'name="action" value="solve"' in text
    assert "<svg" not in text.split('id="result"')[1]  # no temperature map without a solve
    assert DISCLAIMER in text
    assert surrogate_tables.asked[0].tissue.name == "muscle-in-vivo"


def test_solve_runs_the_engine_and_says_solved(
    as_role: AsRole, surrogate_tables: _OneAnswer
) -> None:
    text = _post(as_role("clinician"), action="solve")
    assert "full solve of the engine, with the temperature map" in text
    assert 'data-kind="full"' in text
    assert "<svg" in text
    # the map's colour mesh and its colour bar are two embedded images, not thousands
    # of vector cells
    assert text.count("<image") == 2
    assert surrogate_tables.asked == []


def test_without_a_table_the_page_says_why_it_solved(
    as_role: AsRole, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(planner, "default_tables", lambda: LesionTables(cache_dir=tmp_path))
    text = _post(as_role("researcher"))
    assert (
        "engine solve, no temperature map (no lesion table for 18 G blunt, muscle-in-vivo yet"
        in text
    )
    # the engine answered without drawing the map (the slow part): no figure, a Full solve offered
    assert "<svg" not in text.split('id="result"')[1]
    assert 'data-kind="engine"' in text


def test_the_old_solve_field_still_asks_for_a_full_solve(
    as_role: AsRole, surrogate_tables: _OneAnswer
) -> None:
    text = _post(as_role("clinician"), solve="1")
    assert 'data-kind="full"' in text
    assert surrogate_tables.asked == []

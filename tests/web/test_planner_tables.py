"""The planner's lesion table is built in the background, never in a request, then answers.

A small real table (2 x 2 x 2 engine runs on the default grid around the form's
defaults, plus 4 held-out points) is built by :class:`TableBuilds` in its thread;
the page then answers from it, with the numbers the table itself gives
(:meth:`rhizo.physics.surrogate_cache.LesionTables.lookup`) and its held-out error.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rhizo.clinic.web import planner
from rhizo.clinic.web.planner_form import DEFAULTS, read_protocol
from rhizo.clinic.web.planner_tables import BUILDS, TableBuilds, builds_enabled, clinical_spec
from rhizo.physics import LesionProtocol
from rhizo.physics.surrogate import LesionAnswer, TableAxes
from rhizo.physics.surrogate_cache import LesionTables
from tests.web.conftest import csrf_of

AsRole = Callable[[str], TestClient]
#: Around the form's defaults (10 mm, 80 C, 90 s).
SMALL = TableAxes(
    tip_length_mm=(8.0, 12.0), set_temperature_c=(75.0, 85.0), duration_s=(60.0, 120.0)
)


def test_no_background_build_under_rhizo_env_test(as_role: AsRole) -> None:
    assert builds_enabled("test") is False
    assert builds_enabled("production") is True
    as_role("clinician").get("/planner")
    spec = clinical_spec(BUILDS.tables(), 18)
    assert BUILDS.state(spec) is None


def test_the_table_is_built_in_the_background_then_answers_the_page(
    as_role: AsRole, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    manager = LesionTables(cache_dir=tmp_path, axes=SMALL, held_out_points=4)
    builds = TableBuilds(tables=lambda: manager)
    monkeypatch.setattr(planner, "BUILDS", builds)
    monkeypatch.setattr(planner, "default_tables", lambda: manager)
    monkeypatch.setattr(planner, "builds_enabled", lambda env: True)
    client = as_role("clinician")

    page = client.get("/planner")  # queues the default cannula's table, returns at once
    spec = clinical_spec(manager, 18)
    state = builds.state(spec)
    assert state is not None
    assert "Lesion table for 18 G blunt, muscle-in-vivo:" in page.text
    builds.join(timeout_s=600)
    assert state.finished, state.error
    assert (state.done, state.total) == (8 + 4, 8 + 4)
    assert state.describe() == "built"
    assert manager.path(spec).exists()

    response = client.post("/planner", data={"csrf_token": csrf_of(page.text), "action": "lesion"})
    assert response.status_code == 200
    protocol = read_protocol(DEFAULTS)
    assert isinstance(protocol, LesionProtocol)
    reference = manager.lookup(protocol, build=False)
    assert isinstance(reference, LesionAnswer)
    assert reference.held_out is not None
    text = response.text
    assert 'data-kind="table"' in text
    assert f"{reference.lesion.width_mm:.1f} mm" in text
    assert f"max held-out error {reference.held_out.max_width_error_pct:.2f} %" in text
    assert "Lesion table for 18 G blunt, muscle-in-vivo: built." in text


def test_a_failed_build_is_reported_not_raised(tmp_path: Path) -> None:
    class Broken(LesionTables):
        def table(self, *args: object, **kwargs: object) -> None:
            raise OSError("disk full")

    manager = Broken(cache_dir=tmp_path, axes=SMALL)
    builds = TableBuilds(tables=lambda: manager)
    state = builds.request(clinical_spec(manager, 20))
    assert builds.request(clinical_spec(manager, 20)) is state  # queued once
    builds.join(timeout_s=60)
    assert not state.finished
    assert state.describe() == "the background build failed (OSError: disk full)"

"""Guards: grids too large for one machine and --plot paths that cannot be written are
refused with one clear line before any computation (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rhizo.cli import main
from rhizo.physics import GridSettings
from rhizo.physics.grid import MAX_CELLS, AxisymmetricGrid, GridTooLargeError


def test_tiny_cells_are_refused_naming_the_setting_value_and_limit() -> None:
    # The audit's case: 0.006 mm cells gave a raw SuperLU SystemError (3.4 M cells).
    with pytest.raises(ValidationError) as caught:
        GridSettings(radial_cell_mm=0.006, axial_cell_mm=0.006)
    message = str(caught.value)
    assert "radial_cell_mm=0.006" in message or "axial_cell_mm=0.006" in message
    assert f"{MAX_CELLS:,}" in message


def test_a_wide_fine_zone_is_refused_too() -> None:
    with pytest.raises(ValidationError, match="fine_zone_mm=50"):
        GridSettings(radial_cell_mm=0.02, fine_zone_mm=50.0)


def test_refinement_is_validated() -> None:
    assert GridSettings().refined(4).radial_cell_mm == pytest.approx(0.05)
    with pytest.raises(ValidationError, match="limit"):
        GridSettings().refined(30)


def test_the_grid_itself_refuses_when_validation_was_bypassed() -> None:
    unchecked = GridSettings.model_construct(
        **(GridSettings().model_dump() | {"radial_cell_mm": 0.006, "axial_cell_mm": 0.006})
    )
    with pytest.raises(GridTooLargeError, match="exceeds the limit"):
        AxisymmetricGrid.for_cannula(metal_radius_m=0.6e-3, tip_length_m=10e-3, settings=unchecked)


def test_the_default_grid_is_far_below_the_limit() -> None:
    grid = AxisymmetricGrid.for_cannula(
        metal_radius_m=0.825e-3, tip_length_m=20e-3, settings=GridSettings()
    )
    assert grid.size < MAX_CELLS / 20


def test_plot_into_a_missing_folder_fails_before_simulating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import rhizo.cli.lesion as cli_lesion

    def must_not_run(*_: object, **__: object) -> None:
        raise AssertionError("the simulation ran before the --plot check")

    monkeypatch.setattr(cli_lesion, "simulate", must_not_run)
    missing = tmp_path / "nonexistent" / "x.png"
    assert main(["lesion", "--plot", str(missing)]) == 2
    captured = capsys.readouterr()
    lines = [line for line in (captured.out + captured.err).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert "--plot" in lines[0]
    assert "does not exist" in lines[0]
    assert "Traceback" not in captured.err

"""Progress of the 3D time loop: the engine's callback and ``rhizo lesion3d``'s bar."""

from __future__ import annotations

import io
import itertools
import json

import pytest

from rhizo.cli import main
from rhizo.cli._progress import BAR_WIDTH, ProgressBar, wanted
from rhizo.physics.grid import step_end_times
from rhizo.physics.protocol import LesionProtocol
from rhizo.physics.three_d.engine3d import simulate3d
from rhizo.physics.three_d.geometry3d import CannulaPose, Scene, grid_around_cannula

COARSE = ["lesion3d", "--cell-mm", "0.8", "--half-width-mm", "10", "--time-s", "10", "--json"]


def test_the_engine_reports_each_step_up_to_one() -> None:
    protocol = LesionProtocol(gauge=18, tip_length_mm=10, set_temperature_c=80, duration_s=10)
    pose = CannulaPose(protocol.electrode)
    grid = grid_around_cannula(pose, cell_m=0.8e-3, fine_margin_m=4e-3, half_width_m=10e-3)
    calls: list[tuple[float, float]] = []
    simulate3d(
        protocol,
        Scene.build(grid, pose, protocol.tissue),
        progress=lambda f, s: calls.append((f, s)),
    )
    ends = step_end_times(
        ramp_s=protocol.generator.ramp_s,
        total_s=protocol.generator.total_time_s,
        settings=protocol.grid,
    )
    # One call per time step, at (step end / run end), with the elapsed time growing.
    assert [f for f, _ in calls] == pytest.approx(list(ends / ends[-1]), rel=1e-12)
    assert calls[-1][0] == 1.0
    assert all(b[1] >= a[1] >= 0.0 for a, b in itertools.pairwise(calls))


def test_the_bar_draws_in_place_and_ends_its_line() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, label="lesion3d")
    bar(0.5, 1.234)
    bar(2.0, 2.0)
    bar.close()
    half = "#" * (BAR_WIDTH // 2) + "." * (BAR_WIDTH - BAR_WIDTH // 2)
    assert stream.getvalue() == (
        f"\rlesion3d [{half}]  50 %  1.2 s\rlesion3d [{'#' * BAR_WIDTH}] 100 %  2.0 s\n"
    )
    nan_stream = io.StringIO()
    ProgressBar(nan_stream)(float("nan"), 0.0)
    assert "  0 %" in nan_stream.getvalue()


def test_the_bar_is_shown_on_a_terminal_or_when_asked() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wanted(None, Tty()) is True
    assert wanted(None, io.StringIO()) is False
    assert wanted(True, io.StringIO()) is True
    assert wanted(False, Tty()) is False


def test_cli_progress_goes_to_stderr_and_json_stays_clean(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*COARSE, "--progress"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["final"]["tip_temperature_c"] == pytest.approx(80.0, abs=1e-6)
    assert captured.err.startswith("\rlesion3d [")
    assert "100 %" in captured.err
    assert captured.err.endswith("\n")
    # Not a terminal and not asked: no bar.
    assert main(COARSE) == 0
    assert capsys.readouterr().err == ""

"""``rhizo lesion3d``: bad input is one line and exit 2; a run prints JSON without NaN."""

from __future__ import annotations

import json

import pytest

from rhizo import DISCLAIMER
from rhizo.cli import main


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--cell-mm", "0.05"], "error: --cell-mm: 0.05 is not allowed; allowed: 0.1 to 2"),
        (["--cell-mm", "2.01"], "error: --cell-mm: 2.01 is not allowed; allowed: 0.1 to 2"),
        (["--half-width-mm", "4.99"], "error: --half-width-mm: 4.99 is not allowed"),
        (["--bone-gap-mm", "-0.1"], "error: --bone-gap-mm: -0.1 is not allowed"),
        (["--gauge", "17"], "error: --gauge: 17 is not allowed"),
        (["--temp-c", "96"], "error: --temp-c: 96.0 is not allowed"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lesion3d", *argv]) == 2
    error = capsys.readouterr().err
    assert error.startswith(line)
    assert error.count("\n") == 1


def test_a_coarse_run_holds_the_set_point_and_prints_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 0.8 mm cells (the largest whose centres at +-0.4 mm fall in an 18 G cannula's
    # 0.635 mm radius), a 20 mm cube, 10 s at 80 C: about 1 s.
    argv = ["lesion3d", "--cell-mm", "0.8", "--half-width-mm", "10", "--time-s", "10", "--json"]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(name))
    assert payload["final"]["tip_temperature_c"] == pytest.approx(80.0, abs=1e-6)
    assert payload["final"]["set_point_c"] == 80.0
    lesion = payload["lesion_mm"]
    assert lesion["width_u_mm"] == pytest.approx(lesion["width_v_mm"], rel=1e-6)
    assert lesion["length_mm"] > 10.0  # longer than the active tip
    assert payload["notice"] == DISCLAIMER

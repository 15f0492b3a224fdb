"""``rhizo lesion3d --mode ...``: pair runs print JSON without NaN; bad input is one line."""

from __future__ import annotations

import json

import pytest

from rhizo import DISCLAIMER
from rhizo.cli import main


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--mode", "tripolar"], "error: --mode: 'tripolar' is not allowed; allowed: monopolar,"),
        (["--spacing-mm", "0.5"], "error: --spacing-mm: 0.5 is not allowed; allowed: 1 to 30"),
        (
            ["--mode", "bipolar", "--spacing-mm", "1.2"],
            "error: --spacing-mm: 1.2 is not allowed; allowed: more than the cannula's diameter",
        ),
        (["--cooling-s", "601"], "error: --cooling-s: 601.0 is not allowed; allowed: 0 to 600"),
        (["--tines", "7"], "error: --tines: 7 is not allowed; allowed: 0 to 6"),
        (["--far-boundary", "pad"], "error: --far-boundary: 'pad' is not allowed"),
        (
            ["--mode", "bipolar", "--bone-gap-mm", "1"],
            "error: --bone-gap-mm: 1.0 is not allowed; allowed with --mode monopolar only",
        ),
        (
            ["--tines", "3", "--cell-mm", "0.5", "--time-s", "1"],
            "error: --cell-mm: 0.5 is not allowed; cannula 1's tines [1, 2, 3]",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lesion3d", *argv]) == 2
    error = capsys.readouterr().err
    assert error.startswith(line)
    assert error.count("\n") == 1


def test_a_coarse_bipolar_run_prints_confluence_and_traces_per_tip(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [
        "lesion3d", "--mode", "bipolar", "--spacing-mm", "8", "--cell-mm", "0.8",
        "--time-s", "10", "--json",
    ]  # fmt: skip
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out, parse_constant=lambda name: pytest.fail(name))
    final = payload["final"]
    assert max(final["tip_temperature_c_1"], final["tip_temperature_c_2"]) == pytest.approx(
        80.0, abs=1e-6
    )
    assert final["current_a_1"] == pytest.approx(-final["current_a_2"], rel=1e-6)
    assert payload["confluence"]["spacing_mm"] == pytest.approx(8.0)
    assert isinstance(payload["confluence"]["confluent"], bool)
    assert payload["notice"] == DISCLAIMER

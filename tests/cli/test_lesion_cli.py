"""`rhizo lesion`: JSON names, table, plot, and one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rhizo.cli import main

REQUIRED = {
    "width_mm",
    "length_mm",
    "distal_extension_mm",
    "proximal_extension_mm",
    "volume_mm3",
    "boundaries",
    "max_power_w",
    "final_impedance_ohm",
    "runtime_s",
    "inputs",
}


def test_json_has_the_issue_fields(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["lesion", "--gauge", "18", "--tip-mm", "10", "--temp-c", "80", "--time-s", "90", "--json"]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) >= REQUIRED
    assert set(payload["boundaries"]) == {"arrhenius", "isotherm_50c", "isotherm_45c"}
    assert payload["inputs"]["gauge"] == 18
    assert payload["inputs"]["tissue"] == "chicken-breast-ex-vivo"  # the bench by default
    assert "whitening" in payload["lesion_boundary_definition"]
    assert payload["width_mm"] == payload["boundaries"]["arrhenius"]["width_mm"]
    assert 5.0 < payload["width_mm"] < 10.0


def test_table_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plot = tmp_path / "lesion.png"
    assert main(["lesion", "--time-s", "20", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "width mm" in out
    assert "not a medical device" in out
    assert plot.stat().st_size > 10_000
    assert plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--gauge", "19"], "--gauge: 19"),
        (["--tip-mm", "25"], "--tip-mm: 25.0"),
        (["--tip-mm", "1"], "allowed range 2-20 mm"),
        (["--temp-c", "30"], "--temp-c: 30.0"),
        (["--temp-c", "96"], "allowed range 37-95 C"),
        (["--time-s", "601"], "--time-s: 601.0"),
        (["--tissue", "brain"], "allowed tissues"),
        (["--time-s", "abc"], "--time-s"),
        (["--plot", "out.txt"], "--plot"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lesion", *args]) == 2
    captured = capsys.readouterr()
    assert fragment in captured.err
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err

"""``rhizo capture --engine 3d`` / ``recommend --engine 3d``: bad combinations are one line
and exit 2; a coarse 3D capture prints the 2D path's fields plus engine, cells, runtime."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rhizo.cli import main


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["capture", "--joint", "L4-L5", "--engine", "4d"], "--engine: '4d' is not allowed"),
        (["capture", "--joint", "C3-C4", "--engine", "3d"], "--joint: 'C3-C4' is not allowed"),
        (
            ["capture", "--joint", "L4-L5", "--cell-mm", "0.5"],
            "--cell-mm: 0.5 is not allowed; only with --engine 3d",
        ),
        (
            ["capture", "--joint", "L4-L5", "--engine", "3d", "--cell-mm", "0.2"],
            "--cell-mm: 0.2 is not allowed",
        ),
        (
            ["recommend", "--joint", "L4-L5", "--engine", "3d", "--plot", "x.png"],
            "--plot: 'x.png' is not allowed",
        ),
        (["recommend", "--joint", "L1-L2", "--engine", "3d"], "--joint: 'L1-L2' is not allowed"),
        (
            ["recommend", "--joint", "L4-L5", "--engine", "3d", "--top-3d", "0"],
            "--top-3d: 0 is not allowed",
        ),
    ],
)
def test_bad_combinations_are_one_line_and_exit_2(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: " + line)
    assert error.count("\n") == 1


def test_a_coarse_3d_capture_reports_the_2d_fields_and_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["capture", "--joint", "L5-S1", "--engine", "3d", "--cell-mm", "0.75"]
    plot = tmp_path / "slices.png"
    assert main([*argv, "--samples", "200", "--time-s", "60", "--plot", str(plot), "--json"]) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out, parse_constant=lambda name: pytest.fail(name))
    assert payload["engine"] == "3d"
    assert payload["inputs"]["cell_mm"] == 0.75
    assert payload["tissue"]["name"] == "muscle-in-vivo"
    assert [n["name"] for n in payload["nerves"]] == ["L4 medial branch", "L5 dorsal ramus"]
    assert [n["bone"] for n in payload["nerves"]] == ["tp_sap", "ala_sap"]
    for nerve in payload["nerves"]:
        for key in ("captured_length_mm", "capture_probability", "ci95", "samples", "lesion_3d_mm"):
            assert key in nerve
        assert nerve["samples"] == 200
        assert nerve["bone_clearance_mm"] >= 0.0
    assert payload["cells"] == sum(n["cells"] for n in payload["nerves"])
    assert payload["runtime_s"] > 0
    assert "rigidly" in payload["sampled"]
    assert "3D lesion for L4 medial branch" in captured.err
    assert payload["plot"] == str(plot)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

"""``rhizo capture`` and ``rhizo recommend`` through rhizo.cli.main (exit codes, JSON, errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rhizo import DISCLAIMER
from rhizo.cli import main
from rhizo.physics.backend import cupy_available

CAPTURE = [
    "capture", "--joint", "L4-L5", "--side", "left", "--gauge", "18", "--tip-mm", "10",
    "--temp-c", "80", "--time-s", "90", "--angle-deg", "0", "--offset-mm", "1",
]  # fmt: skip


def test_capture_json_has_nerves_inputs_and_notice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*CAPTURE, "--samples", "2000", "--seed", "7", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["disclaimer"] == DISCLAIMER
    assert payload["inputs"]["joint"] == "L4-L5"
    assert payload["inputs"]["gauge"] == 18
    assert payload["inputs"]["samples"] == 2000
    names = [nerve["name"] for nerve in payload["nerves"]]
    assert names == ["L3 medial branch", "L4 medial branch"]
    for nerve in payload["nerves"]:
        low, high = nerve["ci95"]
        assert 0.0 <= low <= nerve["capture_probability"] <= high <= 1.0
        assert nerve["captured_length_mm"] > 5.0
    assert any("bone" in line for line in payload["assumptions"])
    # planned in living tissue, and the lesion edge says what it means
    assert payload["tissue"]["name"] == "muscle-in-vivo"
    assert payload["tissue"]["initial_temperature_c"] == 37.0
    assert "coagulated muscle" in payload["tissue"]["lesion_boundary_definition"]


def test_capture_table_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plot = tmp_path / "capture.png"
    assert main([*CAPTURE, "--samples", "500", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "L3 medial branch" in out
    assert "decision support" in out
    assert plot.stat().st_size > 10_000
    assert plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("change", "option", "allowed"),
    [
        (["--joint", "L9-L5"], "--joint", "L4-L5"),
        (["--offset-mm", "-1"], "--offset-mm", ">= 0"),
        (["--angle-deg", "120"], "--angle-deg", "90"),
        (["--angle-deg", "-5"], "--angle-deg", "90"),
        (["--gauge", "17"], "--gauge", "16, 18, 20, 22"),
        (["--tip-mm", "40"], "--tip-mm", "20"),
        (["--side", "middle"], "--side", "left or right"),
        (["--samples", "0"], "--samples", "1"),
    ],
)
def test_bad_capture_input_is_one_line_exit_2(
    change: list[str], option: str, allowed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = list(CAPTURE)
    if change[0] in argv:
        argv[argv.index(change[0]) + 1] = change[1]
    else:
        argv += change
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"error: {option}:")
    assert allowed in err
    assert "Traceback" not in err


def test_recommend_ranks_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rhizo.planning import recommend as recommend_module

    # Keep the test quick: a small grid (the default grid is exercised by the benchmark).
    original = recommend_module.candidate_grid

    def small_grid() -> list[recommend_module.Candidate]:
        return original(gauges=(16, 22), tips_mm=(10.0,), temperatures_c=(80.0,), times_s=(90.0,))

    monkeypatch.setattr(recommend_module, "candidate_grid", small_grid)
    assert main(["recommend", "--joint", "L4-L5", "--samples", "300", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert main(["recommend", "--joint", "L4-L5", "--samples", "300"]) == 0
    table = capsys.readouterr().out
    ranking = payload["ranking"]
    assert payload["tissue"]["name"] == "muscle-in-vivo"
    assert "lesions computed in muscle-in-vivo from 37 C" in table
    assert len(ranking) == 2 * 2 * 2
    assert ranking[0]["gauge"] == 16
    assert ranking[0]["angle_deg"] == 0
    probabilities = [entry["joint_capture_probability"] for entry in ranking]
    assert probabilities == sorted(probabilities, reverse=True)
    assert payload["disclaimer"] == DISCLAIMER
    assert "parallel" in table
    assert "P(joint)" in table


def test_recommend_unknown_joint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recommend", "--joint", "T4-T5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --joint:")
    assert "C2-C3" in err


def test_recommend_backend_is_checked_and_a_missing_gpu_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rhizo.planning import recommend as recommend_module

    original = recommend_module.candidate_grid

    def small_grid() -> list[recommend_module.Candidate]:
        return original(gauges=(22,), tips_mm=(5.0,), temperatures_c=(80.0,), times_s=(30.0,))

    monkeypatch.setattr(recommend_module, "candidate_grid", small_grid)
    assert main(["recommend", "--joint", "L4-L5", "--backend", "opencl"]) == 2
    assert "single, numpy or cupy" in capsys.readouterr().err
    if not cupy_available():
        assert main(["recommend", "--joint", "L4-L5", "--backend", "cupy"]) == 2
        err = capsys.readouterr().err.strip()  # the cleared progress bar leaves a newline
        assert err.startswith("error: --backend:")
        assert len(err.splitlines()) == 1
        assert "rhizo[gpu]" in err
        assert "Traceback" not in err
    assert main(["recommend", "--joint", "L4-L5", "--samples", "200", "--backend", "numpy"]) == 0
    assert "P(joint)" in capsys.readouterr().out

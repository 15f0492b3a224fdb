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
        (["--offset-mm", "-1"], "--offset-mm", "0 to 20 mm"),
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
    # The recommended rows (equivalent to the best: intervals overlap) first, by
    # fewest lesions then union volume; the rest by capture.
    tier = [entry for entry in ranking if entry["equivalent_to_best"]]
    assert tier == ranking[: len(tier)]
    assert tier[0]["joint_ci95"][1] >= max(entry["joint_ci95"][0] for entry in ranking)
    keys = [(entry["lesions_per_nerve"], entry["union_volume_mm3"]) for entry in tier]
    assert keys == sorted(keys)
    rest = [entry["joint_capture_probability"] for entry in ranking[len(tier) :]]
    assert rest == sorted(rest, reverse=True)
    recommendation = payload["recommendation"]
    assert recommendation["recommended"].startswith(f"{ranking[0]['gauge']} G,")
    assert recommendation["equivalent_candidates"] == len(tier)
    assert "fewest lesions" in recommendation["rule"]
    assert payload["inputs"]["stage_samples"] == [300]  # under 400 samples: no screen
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


RECOMMEND = ["recommend", "--joint", "L4-L5"]
NEXT = ["next-lesion", "--joint", "L4-L5"]
_COMMON_BAD = [
    (["--seed", "-1"], "--seed", "0 to 4294967295"),
    (["--seed", "4294967296"], "--seed", "0 to 4294967295"),
    (["--offset-mm", "nan"], "--offset-mm", "0 to 20 mm"),
    (["--offset-mm", "inf"], "--offset-mm", "0 to 20 mm"),
    (["--offset-mm", "25"], "--offset-mm", "0 to 20 mm"),
    (["--offset-mm", "-1"], "--offset-mm", "0 to 20 mm"),
    (["--min-length-mm", "nan"], "--min-length-mm", "> 0 and <= 24 mm"),
    (["--min-length-mm", "inf"], "--min-length-mm", "> 0 and <= 24 mm"),
    (["--min-length-mm", "0"], "--min-length-mm", "> 0 and <= 24 mm"),
    (["--min-length-mm", "1000"], "--min-length-mm", "> 0 and <= 24 mm"),
    (["--samples", "0"], "--samples", "1 to 1000000"),
    (["--samples", "-3"], "--samples", "1 to 1000000"),
    (["--joint", "T4-T5"], "--joint", "L4-L5"),
]
_SETTING_BAD = [
    (["--angle-deg", "nan"], "--angle-deg", "0 (parallel) to 90"),
    (["--angle-deg", "inf"], "--angle-deg", "0 (parallel) to 90"),
    (["--tip-mm", "inf"], "--tip-mm", "2 to 20"),
    (["--tip-mm", "nan"], "--tip-mm", "2 to 20"),
    (["--temp-c", "nan"], "--temp-c", "37 to 95"),
    (["--temp-c", "-inf"], "--temp-c", "37 to 95"),
    (["--time-s", "nan"], "--time-s", "1 to 600"),
    (["--time-s", "0"], "--time-s", "1 to 600"),
    (["--gauge", "17"], "--gauge", "16, 18, 20, 22"),
]
_CASES = (
    [("capture", CAPTURE, *case) for case in _COMMON_BAD + _SETTING_BAD]
    + [("capture", CAPTURE, ["--plot", "/no/such/folder/x.png"], "--plot", "existing folder")]
    + [("recommend", RECOMMEND, *case) for case in _COMMON_BAD]
    + [
        ("recommend", RECOMMEND, ["--top", "0"], "--top", "1 to 10000"),
        ("recommend", RECOMMEND, ["--backend", "gpu"], "--backend", "single, numpy or cupy"),
        ("recommend", RECOMMEND, ["--plot", "/no/such/folder/x.png"], "--plot", "existing folder"),
        ("recommend", RECOMMEND, ["--plot", "trade.off.txt"], "--plot", ".png, .svg or .pdf"),
    ]
    + [("next-lesion", NEXT, *case) for case in _COMMON_BAD + _SETTING_BAD]
    + [
        ("next-lesion", NEXT, ["--along-mm", "nan"], "--along-mm", "-20 to 20 mm"),
        ("next-lesion", NEXT, ["--along-mm", "21"], "--along-mm", "-20 to 20 mm"),
        ("next-lesion", NEXT, ["--error", "both"], "--error", "shared or independent"),
        ("next-lesion", NEXT, ["--top", "0"], "--top", "1 to 1000"),
        ("next-lesion", NEXT, ["--samples", "100001"], "--samples", "1 to 100000"),
    ]
)


@pytest.mark.parametrize(
    ("command", "base", "change", "option", "allowed"),
    _CASES,
    ids=[f"{case[0]}{''.join(case[2])}" for case in _CASES],
)
def test_every_option_refuses_bad_values_in_one_line(
    command: str,
    base: list[str],
    change: list[str],
    option: str,
    allowed: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = list(base)
    if change[0] in argv:
        argv[argv.index(change[0]) + 1] = change[1]
    else:
        argv += change
    assert main(argv) == 2, command
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"error: {option}: "), err
    assert repr(change[1]) in err or change[1] in err  # the value is named
    assert allowed in err
    assert "Traceback" not in err


def _strict_json(text: str) -> dict[str, object]:
    def refuse(constant: str) -> object:
        raise AssertionError(f"non-standard JSON constant {constant}")

    payload: dict[str, object] = json.loads(text, parse_constant=refuse)
    return payload


def test_json_output_never_holds_nan() -> None:
    from rhizo.cli.planning_checks import emit_json

    with pytest.raises(ValueError, match="JSON compliant"):
        emit_json({"value": float("nan")})
    with pytest.raises(ValueError, match="JSON compliant"):
        emit_json({"value": float("inf")})


def test_recommend_json_has_safety_and_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rhizo.planning import recommend as recommend_module

    original = recommend_module.candidate_grid

    def small_grid() -> list[recommend_module.Candidate]:
        return original(
            gauges=(18,), tips_mm=(5.0, 10.0), temperatures_c=(80.0, 90.0), times_s=(90.0,)
        )

    monkeypatch.setattr(recommend_module, "candidate_grid", small_grid)
    plot = tmp_path / "tradeoff.png"
    argv = [*RECOMMEND, "--samples", "200", "--plot", str(plot), "--json"]
    assert main(argv) == 0
    payload = _strict_json(capsys.readouterr().out)
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert payload["plot"] == str(plot)
    safety = payload["safety"]
    assert isinstance(safety, dict)
    assert safety["temperature_range_c"] == [60.0, 85.0]
    assert safety["sources"]["assumed_ventral_ramus_position"]["evidence"] == "assumption"
    ranking = payload["ranking"]
    assert isinstance(ranking, list)
    hot = [entry for entry in ranking if entry["temp_c"] == 90.0]
    assert hot
    assert all(not entry["safe"] for entry in hot)
    assert all("evidence range" in entry["excluded_because"][0] for entry in hot)
    assert ranking[0]["safe"] is True
    assert all("union_volume_mm3" in entry for entry in ranking)
    assert main([*RECOMMEND, "--samples", "200"]) == 0
    table = capsys.readouterr().out
    assert "excluded:" in table
    assert "evidence range 60-85 C" in table


def test_next_lesion_json_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*NEXT, "--samples", "200", "--seed", "3", "--error", "independent", "--top", "3"]
    assert main([*argv, "--json"]) == 0
    payload = _strict_json(capsys.readouterr().out)
    nerves = payload["nerves"]
    assert isinstance(nerves, list)
    assert [nerve["nerve"] for nerve in nerves] == ["L3 medial branch", "L4 medial branch"]
    for nerve in nerves:
        assert nerve["error_mode"] == "independent"
        assert len(nerve["options"]) == 3
        assert nerve["best"] == nerve["options"][0]
        assert nerve["best"]["gain_probability"] >= 0.0
    assert main(argv) == 0
    table = capsys.readouterr().out
    assert "second lesion (independent error)" in table
    assert "gain P" in table

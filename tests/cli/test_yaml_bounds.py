"""CLI files are read with bounds: a YAML bomb is one line and exit 2, not a hang.

The "billion laughs" document (nine anchors, each a list of nine aliases of the
previous one: 9**9 = 387,420,489 strings from under 1 kB) made ``rhizo screen``
hang. The bounded loader refuses its first alias; it also caps the file's
size, its number of values and its nesting depth. Ordinary files, the shipped
examples among them, still read as before (compared with ``yaml.safe_load``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from rhizo.cli import main
from rhizo.cli._files import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, RefusedYaml, load_bounded

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def one_line_error(args: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err, err
    return err


def test_billion_laughs_is_refused_at_the_first_alias(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = billion_laughs()
    assert len(text) < 1024
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(text)
    one_line_error(["screen", str(bomb)], capsys, "PATIENT.yaml", "no aliases", "*a", "line 2")
    one_line_error(["score", "odi", str(bomb)], capsys, "ANSWERS.json", "no aliases")


def test_a_single_alias_is_refused_too() -> None:
    with pytest.raises(RefusedYaml, match="no aliases"):
        load_bounded("base: &b {region: lumbar}\ncopy: *b\n")


def test_size_nodes_and_depth_are_capped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * MAX_FILE_BYTES + "\n")
    one_line_error(["screen", str(big)], capsys, "PATIENT.yaml", f"at most {MAX_FILE_BYTES} bytes")
    many = "[" + ",".join(["1"] * MAX_NODES) + "]"
    with pytest.raises(RefusedYaml, match=f"at most {MAX_NODES} values"):
        load_bounded(many)
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    one_line_error(["screen", str(deep)], capsys, f"nesting at most {MAX_DEPTH} levels")
    # Far deeper nesting, which would exhaust PyYAML's recursion, is refused the same way.
    deep.write_text("[" * 50_000 + "]" * 50_000)
    one_line_error(["screen", str(deep)], capsys, "nesting at most")


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_ordinary_files_read_exactly_as_safe_load_reads_them(name: str) -> None:
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert load_bounded(text) == yaml.safe_load(text)


def test_json_still_reads_and_the_example_screens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = tmp_path / "odi.json"
    answers.write_text(json.dumps({"answers": [1, 2, 0, 1, 3, 2, 1, 0, 1, 2]}))
    assert main(["score", "odi", str(answers), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["score_percent"] == pytest.approx(26.0)
    assert main(["screen", str(EXAMPLES / "patient_lumbar.yaml")]) == 0

"""``rhizo knowledge counts`` and the levels ``rhizo screen`` prints (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rhizo import DISCLAIMER
from rhizo.cli import main
from rhizo.pathway.evidence import counts, markdown_table, totals
from rhizo.pathway.policies import POLICIES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_counts_table_is_the_functions_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "counts"]) == 0
    out = capsys.readouterr().out
    assert out == markdown_table() + "\n" + DISCLAIMER + "\n"


@pytest.mark.parametrize("args", [["--format", "json"], ["--json"]])
def test_counts_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "counts", *args]) == 0
    payload = json.loads(capsys.readouterr().out)
    rows = counts()
    total = totals(rows)
    assert payload["total"]["facts"] == total.total
    assert payload["total"]["by_level"] == total.by_level
    assert [item["file"] for item in payload["files"]] == [row.file for row in rows]
    assert payload["levels"]["patient_information"] == "patient-information page only"
    assert payload["disclaimer"] == DISCLAIMER


def test_counts_bad_format_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["knowledge", "counts", "--format", "xml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--format" in err
    assert "'xml'" in err
    assert "table, json" in err


def test_screen_prints_the_level_of_each_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    policy = POLICIES["dual-block-80"]
    assert main(["screen", str(EXAMPLES / "patient_lumbar.yaml"), "--policy", policy.id]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("  evidence of its thresholds"))
    expected = policy.diagnostic_blocks.source.evidence_label
    assert f"diagnostic blocks: {expected}" in line
    assert ("(all verified)" in line) is policy.verified
    assert "recalled, NOT verified in a source" in line  # the LCD's body was not read

"""The patient-text commands: aftercare --format text and --region, faq --region, learn."""

from __future__ import annotations

import json
import re

import pytest

from rhizo import DISCLAIMER
from rhizo.cli import main
from rhizo.pathway.facts import entry


def _out(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(args) == 0
    return capsys.readouterr().out


def _error(args: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_aftercare_text_is_plain_with_one_numbered_source_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = _out(["aftercare", "--format", "text", "--date", "2026-01-05", "--sedation"], capsys)
    for markup in ("&gt;", "&lt;", "&amp;", "*Source", "\\*", "##"):
        assert markup not in out, markup
    assert out.count("\nSources\n") == 1
    assert "source:" not in out.lower().replace("sources\n", "")
    assert re.search(r"^1\. ", out, flags=re.MULTILINE)
    assert "how much the treatment helped" in out
    assert "responder check" not in out
    assert DISCLAIMER in out


def test_aftercare_markdown_keeps_each_items_source(capsys: pytest.CaptureFixture[str]) -> None:
    out = _out(["aftercare", "--date", "2026-01-05"], capsys)
    assert out.startswith("# Aftercare plan")
    assert out.count("*Source:") >= 20
    payload = json.loads(_out(["aftercare", "--json", "--region", "cervical"], capsys))
    assert payload["region"] == "cervical"
    first = payload["sections"][0]
    assert first["title"] == "call us"
    assert all(item["source"] and item["evidence"] for item in first["items"])


def test_aftercare_region_words_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    neck = _out(["aftercare", "--format", "text", "--region", "cervical"], capsys)
    back = _out(["aftercare", "--format", "text", "--region", "LUMBAR"], capsys)
    balance = entry("aftercare", "neck-balance")["text"]
    assert balance in neck
    assert balance not in back
    assert "leg or foot" in back


@pytest.mark.parametrize("command", ["aftercare", "faq", "learn"])
def test_bad_region_is_one_line_naming_the_option(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    _error([command, "--region", "neck"], capsys, "--region", "neck", "cervical, thoracic, lumbar")


def test_faq_region(capsys: pytest.CaptureFixture[str]) -> None:
    neck = _out(["faq", "--region", "cervical"], capsys)
    assert entry("education", "step-testing-neck")["text"] in neck
    assert entry("education", "faq-safe-neck")["answer"] in neck
    assert entry("education", "faq-safe")["answer"] not in neck


def test_learn_choosing_a_specialist(capsys: pytest.CaptureFixture[str]) -> None:
    out = _out(["learn", "choosing-a-specialist"], capsys)
    assert out.startswith("Choosing a specialist")
    assert "Questions to ask:" in out
    assert entry("education", "specialist-outcomes")["text"] in out
    assert "[patient-information page only]" in out
    assert "Questions and answers" not in out
    assert DISCLAIMER in out
    payload = json.loads(_out(["learn", "choosing-a-specialist", "--json"], capsys))
    assert set(payload) == {"region", "choosing_a_specialist", "disclaimer"}
    topics = [group["topic"] for group in payload["choosing_a_specialist"]]
    assert topics == ["qualifications", "experience", "outcomes", "questions"]


def test_learn_all_for_the_low_back(capsys: pytest.CaptureFixture[str]) -> None:
    out = _out(["learn", "--region", "lumbar"], capsys)
    for heading in ("The procedure, step by step", "Questions and answers", "Glossary"):
        assert heading in out
    assert entry("education", "faq-nsaids")["answer"] in out
    assert entry("education", "faq-nsaids-neck")["answer"] not in out
    body, sources = out.split("\nSources\n-------\n")
    used = {int(n) for n in re.findall(r"\[(\d+)\]", body)}
    listed = re.findall(r"^(\d+)\. ", sources, flags=re.MULTILINE)
    assert used == {int(n) for n in listed} == set(range(1, len(listed) + 1))


def test_learn_unknown_topic(capsys: pytest.CaptureFixture[str]) -> None:
    _error(["learn", "billing"], capsys, "TOPIC", "billing", "choosing-a-specialist")


def test_aftercare_drug_gives_the_restart_time_of_the_premed_hold(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import date

    from rhizo.pathway.premed import plan_premedication

    hold = plan_premedication(
        procedure="cervical-facet-rf", procedure_date=date(2026, 1, 5), drugs=["warfarin"]
    ).holds[0]
    assert hold.hold == "yes"
    assert hold.restart_after_hours is not None
    out = _out(
        [
            "aftercare",
            "--format",
            "text",
            "--region",
            "cervical",
            "--date",
            "2026-01-05",
            "--drug",
            "warfarin",
        ],
        capsys,
    )
    assert f"Restart warfarin {hold.restart_after_hours} hours after the procedure" in out
    _error(["aftercare", "--drug", "unobtainium"], capsys, "--drug", "unobtainium")
    _error(["aftercare", "--drug", "warfarin", "--procedure", "knee"], capsys, "--procedure")

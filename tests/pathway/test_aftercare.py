"""Aftercare plan, rendering and escaping."""

from __future__ import annotations

from datetime import date

from rhizo import DISCLAIMER
from rhizo.pathway.aftercare import (
    discharge_criteria,
    plan_aftercare,
    render_html,
    render_markdown,
)


def _texts(sedation: bool) -> list[str]:
    plan = plan_aftercare(sedation=sedation)
    return [item.text for section in plan.sections for item in section.items]


def test_plan_has_the_issue_topics() -> None:
    titles = {section.title for section in plan_aftercare().sections}
    assert {"discharge", "first 24 hours", "wound care", "medicines", "activity"} <= titles
    assert {"what to expect", "call us"} <= titles
    joined = " ".join(_texts(False))
    for topic in ("24 hours", "ice", "shower", "dressing", "3 weeks", "fever"):
        assert topic in joined


def test_sedation_adds_items() -> None:
    assert len(_texts(True)) == len(_texts(False)) + 1
    assert any("sedation" in text for text in _texts(True))


def test_discharge_criteria_cite_sources() -> None:
    criteria = discharge_criteria()
    assert criteria
    assert all(item.source for item in criteria)


def test_follow_up_dates_across_month_end() -> None:
    plan = plan_aftercare(procedure_date=date(2024, 1, 31))
    assert [v.due for v in plan.follow_ups][:2] == [date(2024, 2, 28), date(2024, 4, 30)]


def test_markdown_has_sources_and_disclaimer() -> None:
    text = render_markdown(plan_aftercare(patient_name="Ann"))
    assert text.startswith("# Aftercare plan for Ann")
    assert "*Source:" in text
    assert DISCLAIMER in text
    assert "NOT verified" in text  # recalled red flags are marked


def test_html_escapes_patient_fields() -> None:
    page = render_html(
        plan_aftercare(patient_name="<script>alert(1)</script> & Co", extra_notes=["<b>x</b>"])
    )
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert page.startswith("<!doctype html>")
    assert DISCLAIMER in page


def test_markdown_escapes_html_in_patient_fields() -> None:
    text = render_markdown(plan_aftercare(patient_name="<img src=x onerror=alert(1)>"))
    assert "<img" not in text

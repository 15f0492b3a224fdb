"""In the browser: the auditor filters the audit log; the researcher downloads the export.

The expected rows come from the database (plain SQL here), not from the page's code.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.patient.models import Patient
from tests.e2e.conftest import Clinic, log_in, screenshot

pytestmark = pytest.mark.browser


def test_the_auditor_filters_the_log(page: Page, clinic: Clinic) -> None:
    log_in(page, "demo-auditor", clinic.passwords["demo-auditor"])
    page.goto("/audit")
    expect(page.locator("#chain-status")).to_have_attribute("data-intact", "true")
    engine = clinic.engine()
    with engine.connect() as connection:
        expected = connection.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.actor_username == "demo-seed", AuditEvent.action == AuditAction.CREATE
            )
        )
    engine.dispose()
    page.get_by_label("User").fill("demo-seed")
    page.get_by_label("Action").select_option("create")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit?*user=demo-seed*")
    expect(page.locator("#audit-count")).to_contain_text(f"{expected} entries match")
    users = page.locator("table.audit-log td.user").all_inner_texts()
    assert users
    assert set(users) == {"demo-seed"}
    assert set(page.locator("table.audit-log td.action").all_inner_texts()) == {"create"}
    screenshot(page, "audit-log")
    with page.expect_download() as info:
        page.locator("#audit-csv").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == expected
    assert {r["actor_username"] for r in rows} == {"demo-seed"}

    page.get_by_label("Patient record number").fill("abc")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#patient-error")).to_contain_text("whole number from 1")


def test_the_researcher_downloads_the_export(page: Page, clinic: Clinic) -> None:
    log_in(page, "demo-researcher", clinic.passwords["demo-researcher"])
    page.goto("/")
    page.goto("/research")
    expect(page.get_by_role("heading", level=1)).to_have_text("De-identified research export")
    expect(
        page.locator('table[data-table="procedures"] tr[data-column="performer"]')
    ).to_be_visible()
    screenshot(page, "research-export")
    engine = clinic.engine()
    with engine.connect() as connection:
        patients = connection.scalar(sa.select(sa.func.count(Patient.id)))
    engine.dispose()
    for link, suffix in (("#download-csv", ".csv"), ("#download-parquet", ".parquet")):
        with page.expect_download() as info:
            page.locator(link).click()
        with zipfile.ZipFile(info.value.path()) as archive:
            names = set(archive.namelist())
            patients_csv = archive.read("patients.csv").decode() if suffix == ".csv" else ""
        assert f"patients{suffix}" in names
        assert f"procedures{suffix}" in names
        assert "data_dictionary.csv" in names
        if suffix == ".csv":
            assert len(list(csv.DictReader(io.StringIO(patients_csv)))) == patients

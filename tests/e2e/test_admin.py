"""The admin in a real browser: log in with a second factor, add a user, who then logs in.

References: the database's users table and audit trail (the row the form made, its
role, the ``create`` entry naming the admin), the role's start page as issue 16 names
it (a clinician lands on /patients), and the TOTP code computed here from the secret
stored for the admin (RFC 6238 via rhizo.clinic.core.auth.totp.code_at).
"""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth import totp
from rhizo.clinic.core.auth.models import Role, User
from rhizo.clinic.core.auth.security import hash_password
from tests.e2e.conftest import Clinic, log_in, screenshot

pytestmark = pytest.mark.browser

ADMIN = "e2e-admin"
ADMIN_PASSWORD = "walnut compass ember tundra"  # noqa: S105 - a test password
NEW_USER = "e2e-new-clinician"
NEW_PASSWORD = "harbour violet meadow cinder"  # noqa: S105 - a test password


def _admin_with_second_factor(clinic: Clinic) -> str:
    """An admin with a confirmed TOTP secret (the served app requires one for admins)."""
    secret = totp.new_secret()
    engine = clinic.engine()
    try:
        with Session(engine) as session:
            session.add(
                User(
                    username=ADMIN,
                    password_hash=hash_password(ADMIN_PASSWORD),
                    role=Role.ADMIN,
                    full_name="E2E Administrator",
                    totp_secret=secret,
                )
            )
            session.commit()
    finally:
        engine.dispose()
    return secret


def test_the_admin_adds_a_user_who_then_logs_in(page: Page, clinic: Clinic) -> None:
    secret = _admin_with_second_factor(clinic)
    page.goto("/login")
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="One-time code")).to_be_visible()
    page.get_by_label("Code").fill(totp.code_at(secret, time.time()))
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))  # the admin's start page
    expect(page.locator("#user-list")).to_contain_text("demo-clinician")

    page.get_by_label("Username").fill(NEW_USER)
    page.get_by_label("Full name (optional)").fill("Dr Browser Colleague")
    page.get_by_label("Role").select_option("clinician")
    page.locator("#password").fill(NEW_PASSWORD)  # labelled "Initial password" with a hint
    page.get_by_label("Initial password again").fill(NEW_PASSWORD)
    page.locator("#create-user").click()
    expect(page).to_have_url(re.compile(r"/admin/users/\d+\?created=1$"))
    expect(page.locator("#user-role")).to_have_text("clinician")
    screenshot(page, "admin-user")

    engine = clinic.engine()
    try:
        with Session(engine) as session:
            made = session.scalars(sa.select(User).where(User.username == NEW_USER)).one()
            assert (made.role, made.is_active, made.full_name) == (
                Role.CLINICIAN,
                True,
                "Dr Browser Colleague",
            )
            entry = session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.action == AuditAction.CREATE,
                    AuditEvent.entity_type == "user",
                    AuditEvent.entity_id == str(made.id),
                )
            ).one()
            assert entry.actor_username == ADMIN
    finally:
        engine.dispose()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login"))
    log_in(page, NEW_USER, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/patients$"))  # a clinician's start page
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.locator("a.who")).to_contain_text(f"{NEW_USER} (clinician)")

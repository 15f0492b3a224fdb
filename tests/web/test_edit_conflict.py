"""Two people edit one record from the web: the second save is refused inline (409).

The resolve form carries the version it was opened at in a hidden field; a
save against a record changed since shows who-changed-it text in the form,
keeps what was typed, and offers the record as it is now (its new version),
so a second, informed save succeeds.
"""

from __future__ import annotations

import re
from datetime import date

from fastapi import FastAPI

from rhizo.clinic.complication.models import Complication
from tests.web.test_forms_support import AsRole, db, form_page, new_complication, new_patient

VERSION = re.compile(r'name="version" value="(\d+)"')


def test_a_stale_resolve_is_refused_inline_and_the_informed_retry_saves(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    entry = new_complication(web_app, pid, onset=date(2026, 1, 10))
    client = as_role("clinician")
    url = f"/patients/{pid}/complications/{entry}/resolve"
    html, csrf = form_page(client, url)
    opened = VERSION.search(html)
    assert opened is not None
    assert opened.group(1) == "1"
    with db(web_app) as session:  # someone else edits it meanwhile
        row = session.get(Complication, entry)
        assert row is not None
        row.notes = "seen by the nurse"
        session.commit()
        assert row.version == 2
    stale = client.post(url, data={"csrf_token": csrf, "version": "1", "resolved_on": "2026-02-01"})
    assert stale.status_code == 409
    assert 'id="form-error"' in stale.text
    assert "changed by someone else since you opened it (version 1, now 2)" in stale.text
    assert 'value="2026-02-01"' in stale.text  # what was typed is kept
    offered = VERSION.search(stale.text)
    assert offered is not None
    assert offered.group(1) == "2"
    with db(web_app) as session:
        unchanged = session.get(Complication, entry)
        assert unchanged is not None
        assert unchanged.resolved_on is None
    saved = client.post(
        url,
        data={"csrf_token": csrf, "version": "2", "resolved_on": "2026-02-01"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    with db(web_app) as session:
        stored = session.get(Complication, entry)
        assert stored is not None
        assert (stored.resolved_on, stored.version) == (date(2026, 2, 1), 3)


def test_a_form_without_its_version_is_refused_and_reoffered(
    as_role: AsRole, web_app: FastAPI
) -> None:
    pid = new_patient(web_app)
    entry = new_complication(web_app, pid)
    client = as_role("clinician")
    url = f"/patients/{pid}/complications/{entry}/resolve"
    _, csrf = form_page(client, url)
    old_page = client.post(url, data={"csrf_token": csrf, "resolved_on": "2026-02-01"})
    assert old_page.status_code == 422
    assert "This form is out of date" in old_page.text
    offered = VERSION.search(old_page.text)
    assert offered is not None
    assert offered.group(1) == "1"

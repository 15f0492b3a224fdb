"""Every entry form's save is one transaction with one audit row per changed row.

For each form: (a) the save's second write is made to fail (an SQLAlchemy
``before_cursor_execute`` hook raises on the write sent right after the save's
first row): the page answers 500 and nothing of the save is left, neither
a row nor an audit row of the patient; (b) the same save succeeds and leaves
exactly one audit row per row it created, changed or removed, naming that row,
and no other audit row of the patient (no form-level row, no second row for
one change, no read written by the save itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.engine import Engine

from rhizo.clinic.block.models import DiagnosticBlock
from rhizo.clinic.complication.models import Complication
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.discharge.models import Discharge
from rhizo.clinic.followup.models import FollowUp
from rhizo.clinic.plan.models import Plan
from rhizo.clinic.procedure.models import Lesion, Procedure
from tests.web import test_forms_block as block_form
from tests.web import test_forms_complication as complication_form
from tests.web import test_forms_discharge as discharge_form
from tests.web import test_forms_followup as followup_form
from tests.web import test_forms_plan as plan_form
from tests.web import test_forms_procedure as procedure_form
from tests.web.test_forms_support import (
    AsRole,
    db,
    form_page,
    new_complication,
    new_followup,
    new_patient,
)

#: A changed row as its audit row names it: (action, entity_type, entity_id).
Change = tuple[AuditAction, str, str]


class InjectedFailure(RuntimeError):
    """The write the test makes fail."""


_WRITE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)


@contextmanager
def failing_write(engine: Engine, table: str) -> Iterator[list[str]]:
    """Raise :class:`InjectedFailure` on the write sent right after the first write to
    ``table`` (the save's first row): the save has begun and cannot finish."""
    writes: list[str] = []

    def hook(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        match = _WRITE.match(statement)
        if match is None:
            return
        if any(_WRITE.match(seen)[1] == table for seen in writes):  # type: ignore[index]
            writes.append(statement)
            raise InjectedFailure(statement)
        writes.append(statement)

    sa.event.listen(engine, "before_cursor_execute", hook)
    try:
        yield writes
    finally:
        sa.event.remove(engine, "before_cursor_execute", hook)


def _engine(app: FastAPI) -> Engine:
    engine: Engine = app.state.session_factory.kw["bind"]
    return engine


def _last_audit_id(app: FastAPI) -> int:
    with db(app) as session:
        return int(session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0)


def _audit_since(app: FastAPI, after: int, patient_id: int) -> list[Change]:
    with db(app) as session:
        rows = session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.id > after, AuditEvent.patient_id == patient_id)
            .order_by(AuditEvent.id)
        ).all()
        return [(r.action, r.entity_type, r.entity_id or "") for r in rows]


def _ids(app: FastAPI, statement: sa.Select[Any]) -> set[int]:
    with db(app) as session:
        return set(session.scalars(statement).all())


@dataclass(frozen=True)
class Form:
    """One form's save: where it posts, what it sends, and the rows it touches."""

    name: str
    #: The table the save writes its first row to.
    table: str
    #: (patient id, form path) of a fresh patient, with whatever the form needs.
    prepare: Callable[[FastAPI], tuple[int, str, dict[str, Any]]]
    #: The form's data, given the CSRF token and the prepared context.
    data: Callable[[FastAPI, str, dict[str, Any]], dict[str, Any]]
    #: The rows of the patient the save may touch (id sets by kind), read from the database.
    rows: Callable[[FastAPI, int], dict[str, set[int]]]
    #: The audit rows a successful save must leave, from the rows before and after.
    expected: Callable[[dict[str, set[int]], dict[str, set[int]], dict[str, Any]], set[Change]]


def _owned(model: Any, patient_id: int) -> sa.Select[Any]:
    return sa.select(model.id).where(model.patient_id == patient_id)


def _created(entity: str, kind: str) -> Callable[..., set[Change]]:
    def expected(before: dict[str, set[int]], after: dict[str, set[int]], _: Any) -> set[Change]:
        return {(AuditAction.CREATE, entity, str(i)) for i in after[kind] - before[kind]}

    return expected


def _single(model: Any, kind: str) -> Callable[[FastAPI, int], dict[str, set[int]]]:
    return lambda app, pid: {kind: _ids(app, _owned(model, pid))}


def _fresh(segment: str) -> Callable[[FastAPI], tuple[int, str, dict[str, Any]]]:
    def prepare(app: FastAPI) -> tuple[int, str, dict[str, Any]]:
        pid = new_patient(app)
        path = f"/patients/{pid}/{segment}/new"
        return pid, path, {"path": path}

    return prepare


def _procedure_rows(app: FastAPI, pid: int) -> dict[str, set[int]]:
    return {
        "procedures": _ids(app, _owned(Procedure, pid)),
        "lesions": _ids(
            app, sa.select(Lesion.id).join(Procedure).where(Procedure.patient_id == pid)
        ),
    }


def _procedure_expected(
    before: dict[str, set[int]], after: dict[str, set[int]], _: Any
) -> set[Change]:
    return {
        (AuditAction.CREATE, "procedure", str(i))
        for i in after["procedures"] - before["procedures"]
    } | {(AuditAction.CREATE, "lesion", str(i)) for i in after["lesions"] - before["lesions"]}


def _procedure_data(app: FastAPI, csrf: str, _: dict[str, Any]) -> dict[str, Any]:
    rows = [
        procedure_form.passing_lesion("L3 medial branch"),
        procedure_form.passing_lesion("L4 medial branch"),
        procedure_form.passing_lesion("L5 dorsal ramus"),
    ]
    return procedure_form.procedure_form(app, csrf, rows)


def _discharge_prepare(app: FastAPI) -> tuple[int, str, dict[str, Any]]:
    pid, procedure_id = discharge_form._procedure(app)
    path = f"/procedures/{procedure_id}/discharge"
    return pid, path, {"path": path}


def _discharge_rows(app: FastAPI, pid: int) -> dict[str, set[int]]:
    statement = sa.select(Discharge.id).join(Procedure).where(Procedure.patient_id == pid)
    return {"discharges": _ids(app, statement)}


def _remove_prepare(app: FastAPI) -> tuple[int, str, dict[str, Any]]:
    pid = new_patient(app)
    wrong = new_followup(app, pid, nrs=9)
    path = f"/patients/{pid}/followups/{wrong}/remove"
    return pid, path, {"path": path, "id": wrong}


def _removed(before: dict[str, set[int]], after: dict[str, set[int]], _: Any) -> set[Change]:
    gone = before["followups"] - after["followups"]
    return {(AuditAction.DELETE, "followup", str(i)) for i in gone}


def _resolve_prepare(app: FastAPI) -> tuple[int, str, dict[str, Any]]:
    pid = new_patient(app)
    complication = new_complication(app, pid)
    path = f"/patients/{pid}/complications/{complication}/resolve"
    return pid, path, {"path": path, "id": complication}


def _resolve_data(app: FastAPI, csrf: str, ctx: dict[str, Any]) -> dict[str, Any]:
    with db(app) as session:
        row = session.get(Complication, ctx["id"])
        assert row is not None
        version = row.version
    return {"csrf_token": csrf, "resolved_on": "2026-01-20", "version": str(version)}


def _resolve_rows(app: FastAPI, pid: int) -> dict[str, set[int]]:
    statement = _owned(Complication, pid).where(Complication.resolved_on.is_not(None))
    return {"resolved": _ids(app, statement)}


def _resolved(before: dict[str, set[int]], after: dict[str, set[int]], _: Any) -> set[Change]:
    return {(AuditAction.UPDATE, "complication", str(i)) for i in after["resolved"]}


FORMS = [
    Form(
        "procedure with three lesions",
        "procedures",
        _fresh("procedures"),
        _procedure_data,
        _procedure_rows,
        _procedure_expected,
    ),
    Form(
        "block",
        "diagnostic_blocks",
        _fresh("blocks"),
        lambda app, csrf, _: block_form._valid(csrf),
        _single(DiagnosticBlock, "blocks"),
        _created("block", "blocks"),
    ),
    Form(
        "plan",
        "plans",
        _fresh("plans"),
        lambda app, csrf, _: plan_form._valid(csrf),
        _single(Plan, "plans"),
        _created("plan", "plans"),
    ),
    Form(
        "follow-up",
        "followups",
        _fresh("followups"),
        lambda app, csrf, _: followup_form._valid(csrf),
        _single(FollowUp, "followups"),
        _created("followup", "followups"),
    ),
    Form(
        "complication",
        "complications",
        _fresh("complications"),
        lambda app, csrf, _: complication_form._valid(csrf),
        _single(Complication, "complications"),
        _created("complication", "complications"),
    ),
    Form(
        "discharge",
        "discharges",
        _discharge_prepare,
        lambda app, csrf, _: discharge_form._valid(csrf),
        _discharge_rows,
        _created("discharge", "discharges"),
    ),
    Form(
        "remove a follow-up",
        "followups",
        _remove_prepare,
        lambda app, csrf, _: {"csrf_token": csrf},
        _single(FollowUp, "followups"),
        _removed,
    ),
    Form(
        "resolve a complication",
        "complications",
        _resolve_prepare,
        _resolve_data,
        _resolve_rows,
        _resolved,
    ),
]


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_a_failed_save_leaves_nothing(as_role: AsRole, web_app: FastAPI, form: Form) -> None:
    pid, path, ctx = form.prepare(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, path)
    before_rows = form.rows(web_app, pid)
    before_audit = _last_audit_id(web_app)
    with failing_write(_engine(web_app), form.table) as writes:
        response = client.post(path, data=form.data(web_app, csrf, ctx), follow_redirects=False)
    # The save wrote its first row, then its next write failed.
    assert any(_WRITE.match(w)[1] == form.table for w in writes[:-1]), writes  # type: ignore[index]
    assert response.status_code == 500
    assert form.rows(web_app, pid) == before_rows
    assert _audit_since(web_app, before_audit, pid) == []


@pytest.mark.parametrize("form", FORMS, ids=[f.name for f in FORMS])
def test_a_save_audits_each_changed_row_once(as_role: AsRole, web_app: FastAPI, form: Form) -> None:
    pid, path, ctx = form.prepare(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, path)
    before_rows = form.rows(web_app, pid)
    before_audit = _last_audit_id(web_app)
    response = client.post(path, data=form.data(web_app, csrf, ctx), follow_redirects=False)
    assert response.status_code == 303, response.text
    after_rows = form.rows(web_app, pid)
    assert after_rows != before_rows
    audited = _audit_since(web_app, before_audit, pid)
    expected = form.expected(before_rows, after_rows, ctx)
    assert expected  # the save changed at least one row
    assert sorted(audited) == sorted(expected)  # one row each, none twice, nothing else


def test_the_procedure_form_audits_every_lesion(as_role: AsRole, web_app: FastAPI) -> None:
    """The multi-row save: one procedure and three lesions are four audit rows."""
    form = FORMS[0]
    pid, path, ctx = form.prepare(web_app)
    client = as_role("clinician")
    _, csrf = form_page(client, path)
    before_audit = _last_audit_id(web_app)
    response = client.post(path, data=form.data(web_app, csrf, ctx), follow_redirects=False)
    assert response.status_code == 303, response.text
    kinds = [entity for _, entity, _ in _audit_since(web_app, before_audit, pid)]
    assert sorted(kinds) == ["lesion", "lesion", "lesion", "procedure"]

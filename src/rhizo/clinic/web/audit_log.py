"""The auditor's page: the audit trail filtered, paginated, downloadable, and its chain checked.

Who may open it: the roles holding ``audit:read`` (auditor, admin), the REST
API's ``/api/v1/audit`` readers. Filters: patient (record number), user (the
username as recorded), action, and a date range on the clinic's calendar
(``RHIZO_CLINIC_TIMEZONE``), both days included: ``from`` is the first instant
of that clinic day, ``to`` the first instant after its last
(:func:`rhizo.clinic.outcomes.queries.end_of_clinic_day`). Rows are newest
first, :data:`PAGE_SIZE` a page. A value that cannot be a filter is refused
inline, naming the field, the value and what is allowed (422), and nothing is
read.

Every view is itself audited (a ``read`` of ``audit_log`` with the filters,
:func:`rhizo.clinic.core.audit.service.read_events`); ``/audit.csv`` streams
every matching row (keyset batches from its own session) and is audited as an
``export`` of ``audit_log`` with the filters before the first byte is sent.
The page shows whether the hash chain verifies
(:func:`rhizo.clinic.core.audit.chain.verify_chain`, the check behind
``rhizo audit verify``): in full on the app's first view and whenever asked
(``?verify=full``), and on every other view the rows appended since the last
verified head (:func:`check_chain`); the page says which.
"""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import chain
from rhizo.clinic.core.audit import service as audit
from rhizo.clinic.core.audit.models import AuditAction, AuditEvent
from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.outcomes.queries import end_of_clinic_day
from rhizo.clinic.web.access import PageAccess, WebUser
from rhizo.clinic.web.clinic_time import clinic_zone
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

AuditUser = Annotated[WebUser, Depends(PageAccess(Permission.AUDIT_READ))]
PAGE_SIZE = 50
#: The CSV's columns, in order (``ts`` in UTC, ISO 8601; ``details`` as JSON).
CSV_COLUMNS = (
    "seq",
    "ts",
    "actor_username",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "patient_id",
    "request_id",
    "ip",
    "details",
    "row_hash",
)
#: A cell a spreadsheet would run as a formula (OWASP CSV injection) gets a leading "'".
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FIELDS = ("patient", "user", "action", "from", "to", "page")


@dataclass(frozen=True)
class AuditFilter:
    """A checked filter: what the trail is read with."""

    patient_id: int | None
    username: str | None
    action: AuditAction | None
    date_from: date | None
    date_to: date | None
    page: int

    def instants(self, zone: tzinfo) -> tuple[datetime | None, datetime | None]:
        """``(since, until)`` in UTC: the first instant of ``from``'s clinic day and the
        first after ``to``'s (both days included)."""
        since = (
            None
            if self.date_from is None
            else end_of_clinic_day(self.date_from - timedelta(days=1), zone)
        )
        until = None if self.date_to is None else end_of_clinic_day(self.date_to, zone)
        return since, until

    def query(self, **changes: object) -> str:
        """The filter as a query string (empty values left out), ``changes`` applied."""
        values: dict[str, object] = {
            "patient": self.patient_id,
            "user": self.username,
            "action": None if self.action is None else self.action.value,
            "from": None if self.date_from is None else self.date_from.isoformat(),
            "to": None if self.date_to is None else self.date_to.isoformat(),
            "page": self.page if self.page != 1 else None,
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})

    def details(self) -> dict[str, Any]:
        """The filters for an audit row's ``details`` (ids, names of actions, days)."""
        values = {
            "patient_id": self.patient_id,
            "actor_username": self.username,
            "action": None if self.action is None else self.action.value,
            "from": None if self.date_from is None else self.date_from.isoformat(),
            "to": None if self.date_to is None else self.date_to.isoformat(),
        }
        return {k: v for k, v in values.items() if v is not None}


def _date(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = f"a date as YYYY-MM-DD, e.g. 2026-06-01 (entered {value[:40]!r})"
        return None


def _whole(value: str, field: str, errors: dict[str, str], what: str) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        errors[field] = f"{what}: a whole number from 1 (entered {value[:40]!r})"
        return None
    return int(value)


def parse_filter(params: Mapping[str, str]) -> tuple[AuditFilter, dict[str, str]]:
    """The filter from the query (``patient``, ``user``, ``action``, ``from``, ``to``,
    ``page``) and the errors by field; a field with an error is left unfiltered."""
    errors: dict[str, str] = {}
    raw = {name: params.get(name, "").strip() for name in FIELDS}
    patient = _whole(raw["patient"], "patient", errors, "a patient record number")
    page = _whole(raw["page"], "page", errors, "a page number") or 1
    action = None
    if raw["action"]:
        try:
            action = AuditAction(raw["action"])
        except ValueError:
            allowed = ", ".join(a.value for a in AuditAction)
            errors["action"] = f"one of {allowed} (entered {raw['action'][:40]!r})"
    username = raw["user"] or None
    if username is not None and len(username) > 64:
        errors["user"] = f"a username of at most 64 characters ({len(username)} entered)"
        username = None
    date_from = _date(raw["from"], "from", errors)
    date_to = _date(raw["to"], "to", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = (
            f"on or after the 'from' day {date_from.isoformat()} (entered {date_to.isoformat()})"
        )
    return AuditFilter(patient, username, action, date_from, date_to, page), errors


@dataclass(frozen=True)
class ChainStatus:
    """What the chain check found, for the page.

    ``full``: every row was read now. Otherwise the rows up to ``from_seq`` were
    verified in full at ``full_checked_at`` (this app's last full check) and only the
    rows after it were checked now, continuing from that head's hash.
    """

    report: chain.ChainReport
    seconds: float
    full: bool
    from_seq: int
    full_checked_at: datetime | None


@dataclass
class _Checkpoint:
    seq: int
    row_hash: str
    full_checked_at: datetime


_checkpoint_lock = threading.Lock()


def check_chain(session: Session, state: Any, *, full: bool) -> ChainStatus:
    """Verify the chain: in full when asked or when this app has not yet (then from the
    first row), else only the rows appended since the last verified head
    (:func:`rhizo.clinic.core.audit.chain.verify_chain` with ``after_seq``). A full check
    of a million rows takes tens of seconds; the rows after the head take milliseconds."""
    with _checkpoint_lock:
        point: _Checkpoint | None = getattr(state, "audit_chain_checkpoint", None)
    start = time.perf_counter()
    if full or point is None:
        report = chain.verify_chain(session.connection())
        status = ChainStatus(report, time.perf_counter() - start, True, 0, None)
        if report.intact:
            point = _Checkpoint(report.head_seq, report.head_hash, datetime.now(UTC))
    else:
        report = chain.verify_chain(
            session.connection(), after_seq=point.seq, after_hash=point.row_hash
        )
        status = ChainStatus(
            report, time.perf_counter() - start, False, point.seq, point.full_checked_at
        )
        if report.intact:
            point = _Checkpoint(report.head_seq, report.head_hash, point.full_checked_at)
    if report.intact and point is not None:
        with _checkpoint_lock:
            state.audit_chain_checkpoint = point
    return status


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, user: AuditUser, session: SessionDep) -> Response:
    """The filtered trail, newest first, a page at a time, and whether the chain holds."""
    wanted, errors = parse_filter(request.query_params)
    full = request.query_params.get("verify") == "full"
    status = check_chain(session, request.app.state, full=full)
    session.rollback()  # end the read transaction before the audited read commits
    context: dict[str, Any] = {
        "filter": wanted,
        "errors": errors,
        "actions": [a.value for a in AuditAction],
        "chain": status,
        "rows": [],
        "total": 0,
        "pages": 0,
        "page_size": PAGE_SIZE,
    }
    if errors:
        return render(request, "audit_log.html", context, user=user, status_code=422)
    since, until = wanted.instants(clinic_zone(request))
    rows, total = audit.read_events(
        session=session,
        actor=user.actor,
        limit=PAGE_SIZE,
        offset=(wanted.page - 1) * PAGE_SIZE,
        patient_id=wanted.patient_id,
        actor_username=wanted.username,
        action=wanted.action,
        since=since,
        until=until,
    )
    context.update(rows=rows, total=total, pages=max(1, -(-total // PAGE_SIZE)))
    return render(request, "audit_log.html", context, user=user)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_line(row: AuditEvent | None) -> str:
    """One CSV line: the header (``None``) or an audit row's :data:`CSV_COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if row is None:
        writer.writerow(CSV_COLUMNS)
    else:
        writer.writerow([_cell(getattr(row, name)) for name in CSV_COLUMNS])
    return out.getvalue()


@router.get("/audit.csv")
def audit_csv(request: Request, user: AuditUser, session: SessionDep) -> Response:
    """Every row the filter matches (not only one page), newest first, as CSV."""
    wanted, errors = parse_filter(request.query_params)
    if errors:
        text = "; ".join(f"{field}: {message}" for field, message in errors.items())
        return Response(f"Not downloaded: {text}\n", status_code=422, media_type="text/plain")
    since, until = wanted.instants(clinic_zone(request))
    conditions = audit.event_filters(
        patient_id=wanted.patient_id,
        actor_username=wanted.username,
        action=wanted.action,
        since=since,
        until=until,
    )
    audit.record_now(
        session=session,
        actor=user.actor,
        action=AuditAction.EXPORT,
        entity_type=audit.AUDIT_LOG_ENTITY,
        patient_id=wanted.patient_id,
        details={"filters": wanted.details(), "format": "csv"},
    )
    factory = request.app.state.session_factory

    def lines() -> Iterator[str]:
        own = factory()  # its own session: the request's closes when the route returns
        try:
            yield csv_line(None)
            for row in audit.stream_events(own, conditions):
                yield csv_line(row)
        finally:
            own.close()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="rhizo-audit-log.csv"',
            "Cache-Control": "no-store",
        },
    )

"""Refused (403) and not-found (404) attempts on patient data leave an audit row.

:func:`audit_refused_attempts` is an app-wide dependency (every API route and
every page, :func:`rhizo.clinic.api.create_app`): it wraps the route, and when
the route or one of its permission dependencies ends in a 403 or a 404 on a
path that holds patient data (:data:`PATIENT_DATA_PATH`), it rolls back
whatever the request had started and commits one row: action ``denied`` or
``not_found``, the actor the permission dependency identified
(:func:`rhizo.clinic.core.deps.remember_actor`), the patient id from the path, and
``details`` with the method, the path (ids only; the query string is left out
because a search may carry a name) and the status.

Requests that never authenticated are a 401 or a redirect to the login page,
not a 403/404, and are left to the login audit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from rhizo.clinic.core.audit import service
from rhizo.clinic.core.audit.models import AuditAction
from rhizo.clinic.core.auth.models import Actor
from rhizo.clinic.core.common import NotFoundError
from rhizo.clinic.core.deps import API_PREFIX, SessionDep, client_ip, request_id
from rhizo.clinic.core.errors import exception_status

#: Paths whose 403/404 answers are audited: the patient records (API and pages),
#: the procedure pages and the patient portal.
PATIENT_DATA_PATH = re.compile(
    rf"^(?:{re.escape(API_PREFIX)})?/(?:patients|procedures|portal)(?:/|$)"
)
_ACTIONS = {403: AuditAction.DENIED, 404: AuditAction.NOT_FOUND}
_log = logging.getLogger("rhizo.audit")


def refusal_status(error: BaseException) -> int | None:
    """403 or 404 when ``error`` is a refusal or a missing record, else None.

    The service layer's errors map through the API's own exception table
    (:func:`rhizo.clinic.core.errors.exception_status`); HTTP exceptions and the page
    exceptions carry ``status_code``.
    """
    status = exception_status(error)
    if status is None:
        status = getattr(error, "status_code", None)
    return status if status in _ACTIONS else None


def _patient_id(request: Request) -> int | None:
    raw = request.path_params.get("patient_id")
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _anonymous(request: Request) -> Actor:
    return Actor(
        user_id=None,
        username="anonymous",
        role=None,
        request_id=request_id(request),
        ip=client_ip(request),
    )


def record_attempt(
    *, session: Session, request: Request, error: BaseException, status: int
) -> None:
    """Roll back the request's work and commit the ``denied``/``not_found`` row."""
    actor: Actor = getattr(request.state, "actor", None) or _anonymous(request)
    details: dict[str, Any] = {
        "method": request.method,
        "path": request.url.path[:200],
        "status": status,
    }
    entity_type, entity_id = "request", None
    if isinstance(error, NotFoundError):
        entity_type, entity_id = error.entity[:40], error.entity_id
    elif _patient_id(request) is not None:
        entity_type, entity_id = "patient", _patient_id(request)
    session.rollback()
    service.record_now(
        session=session,
        actor=actor,
        action=_ACTIONS[status],
        entity_type=entity_type,
        entity_id=entity_id,
        patient_id=_patient_id(request),
        details=details,
    )


def audit_refused_attempts(request: Request, session: SessionDep) -> Iterator[None]:
    """App-wide dependency: audit a 403/404 on patient data, then let it through."""
    try:
        yield
    except Exception as error:
        status = refusal_status(error)
        if status is not None and PATIENT_DATA_PATH.match(request.url.path):
            try:
                record_attempt(session=session, request=request, error=error, status=status)
            except Exception:  # the refusal stands even if its audit row cannot be written
                session.rollback()
                _log.exception("could not audit a %s on %s", status, request.url.path)
        raise

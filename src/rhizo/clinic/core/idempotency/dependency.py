"""``Idempotency-Key`` on every create: one dependency, two session hooks, one replay.

A client that sends a create (a POST answered 201) and loses the answer (a
timeout, a dropped connection, a killed server) cannot know whether it was
saved; retrying it blindly stores a duplicate. With ``Idempotency-Key: <k>``
(any 1-200 printable ASCII characters; a fresh UUID per new request):

* the first request runs as usual; when its transaction commits, the key,
  the request's fingerprint and the response (status and JSON body) are
  stored in ``idempotency_keys`` **in the same transaction** (a
  ``before_commit`` hook), so a committed create always has its key;
* a retry by the same user with the same key, method, path and body gets
  the stored response back (same status, same body, header
  ``Idempotent-Replayed: true``) and nothing is written;
* the same key with another body or another route is 422, naming the key.
  Keys are per user and kept :data:`RETENTION` (24 h), then forgotten.

Two concurrent first attempts with one key: the key is looked up again
inside the create's write transaction, just before commit; on SQLite writes
are serialised (``BEGIN IMMEDIATE``), so the second finds the first's key,
its own record is rolled back and it gets the first response. On PostgreSQL
two uncommitted twins can both miss it; the second's key insert then violates
the (user, key) unique constraint, its whole transaction (record included)
rolls back and it gets 409 asking to send it again, which then replays.
A key sent to a route that creates nothing is ignored.

:func:`install` adds the dependency to every router once
(``rhizo.clinic.api.api_router``); a test walks the app and checks that each
create route honours it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NoReturn

import sqlalchemy as sa
from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from sqlalchemy import event
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from rhizo.clinic.core.audit.models import AuditEvent
from rhizo.clinic.core.common import FieldProblem, InvalidInputError
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import utcnow
from rhizo.clinic.core.deps import SessionDep, SettingsDep, get_current_user
from rhizo.clinic.core.idempotency.models import MAX_KEY_LENGTH, IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
#: How long a key is remembered; a retry later than this creates anew.
RETENTION = timedelta(hours=24)
_INFO = "rhizo_idempotency_claim"
_PRINTABLE = frozenset(chr(c) for c in range(0x21, 0x7F))


@dataclass
class Claim:
    """A first attempt under a key, waiting for its transaction to commit."""

    user_id: int
    key: str
    request: str
    fingerprint: str
    status_code: int
    response_model: type[BaseModel]
    created: list[object] = field(default_factory=list)
    stored: bool = False


class IdempotentReplay(Exception):
    """Raised by the dependency to answer with the stored response."""

    def __init__(self, row: IdempotencyKey) -> None:
        super().__init__(row.key)
        self.status_code = row.status_code
        self.body = row.response


def is_create(route: object) -> bool:
    """A POST route answered 201 Created with a response model: the routes keys apply to."""
    return (
        isinstance(route, APIRoute)
        and "POST" in (route.methods or set())
        and route.status_code == status.HTTP_201_CREATED
        and isinstance(route.response_model, type)
        and issubclass(route.response_model, BaseModel)
    )


def _problem(key: str, rule: str, message: str) -> InvalidInputError:
    return InvalidInputError([FieldProblem(HEADER, key, rule, message)])


def _checked_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not set(key) <= _PRINTABLE:
        raise _problem(
            key[:MAX_KEY_LENGTH],
            "idempotency_key",
            f"an {HEADER} is 1 to {MAX_KEY_LENGTH} printable ASCII characters without "
            "spaces (a new UUID for each new request)",
        )
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 of method, path and the body (canonical JSON when it parses)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("latin-1")
    text = f"{method.upper()} {path}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def _stored(session: Session, user_id: int, key: str) -> IdempotencyKey | None:
    row = session.scalar(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
        )
    )
    if row is not None and row.created_at < utcnow() - RETENTION:
        return None  # forgotten; the purge before the next key's insert removes it
    return row


def _answer_stored(row: IdempotencyKey, target: str, print_: str) -> NoReturn:
    """A key already used: replay its response, or 422 when this is another request."""
    if row.request != target:
        raise _problem(
            row.key,
            "idempotency_key_reused",
            f"this {HEADER} was used for {row.request}; send a new key for a new request",
        )
    if row.fingerprint != print_:
        raise _problem(
            row.key,
            "idempotency_key_reused",
            f"this {HEADER} was first sent with a different body; a retry must repeat "
            "the first request exactly, a new request needs a new key",
        )
    raise IdempotentReplay(row)


def _open_claim(
    request: Request,
    session: Session,
    settings: Settings,
    *,
    token: str | None,
    key: str,
    target: str,
    print_: str,
    route: APIRoute,
) -> None:
    """Check the key (replay, or refuse a reuse) and arm the hooks (runs in a worker thread)."""
    user = get_current_user(request=request, session=session, settings=settings, token=token)
    row = _stored(session, user.id, key)
    if row is not None:
        _answer_stored(row, target, print_)
    assert route.response_model is not None  # noqa: S101 - is_create checked it
    session.info[_INFO] = Claim(
        user_id=user.id,
        key=key,
        request=target,
        fingerprint=print_,
        status_code=route.status_code or status.HTTP_201_CREATED,
        response_model=route.response_model,
    )


async def claim(
    request: Request, session: SessionDep, settings: SettingsDep
) -> AsyncIterator[None]:
    """Replay a create already made under this key, or arm the hooks to store this one."""
    route = request.scope.get("route")
    given = request.headers.get(HEADER)
    if given is None or not is_create(route):
        yield
        return
    assert isinstance(route, APIRoute)  # noqa: S101 - is_create checked it
    key = _checked_key(given)
    _, token = get_authorization_scheme_param(request.headers.get("authorization"))
    print_ = fingerprint(request.method, request.url.path, await request.body())
    await run_in_threadpool(
        _open_claim,
        request,
        session,
        settings,
        token=token or None,
        key=key,
        target=f"{request.method} {request.url.path}",
        print_=print_,
        route=route,
    )
    try:
        yield
    finally:
        session.info.pop(_INFO, None)


def _note_created(session: Session, flush_context: object) -> None:
    """After each flush, remember the rows this request inserted (in insert order)."""
    del flush_context
    pending = session.info.get(_INFO)
    if isinstance(pending, Claim) and not pending.stored:
        pending.created.extend(
            obj for obj in session.new if not isinstance(obj, AuditEvent | IdempotencyKey)
        )


def _response_of(pending: Claim) -> dict[str, Any] | None:
    """The response body: the first inserted row the route's response model describes."""
    for obj in pending.created:
        try:
            body = pending.response_model.model_validate(obj).model_dump(mode="json")
        except ValidationError:
            continue
        return body if isinstance(body, dict) else None
    return None


def _store_before_commit(session: Session) -> None:
    """Add the key row to the transaction that commits the created record."""
    pending = session.info.get(_INFO)
    if not isinstance(pending, Claim) or pending.stored:
        return
    session.flush()
    body = _response_of(pending)
    if body is None:  # this commit created nothing (an audited read before the create)
        return
    # A twin sent at the same moment may have committed since the dependency looked:
    # inside the write transaction the look is final, and this create is rolled back.
    row = _stored(session, pending.user_id, pending.key)
    if row is not None:
        _answer_stored(row, pending.request, pending.fingerprint)
    session.execute(
        sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - RETENTION)
    )
    session.add(
        IdempotencyKey(
            user_id=pending.user_id,
            key=pending.key,
            request=pending.request,
            fingerprint=pending.fingerprint,
            status_code=pending.status_code,
            response=body,
        )
    )
    pending.stored = True


def _forget_on_rollback(session: Session, previous_transaction: object) -> None:
    """A rolled-back create leaves no key: the next commit may store it afresh."""
    del previous_transaction
    pending = session.info.get(_INFO)
    if isinstance(pending, Claim):
        pending.created.clear()
        pending.stored = False


event.listen(Session, "after_flush", _note_created)
event.listen(Session, "before_commit", _store_before_commit)
event.listen(Session, "after_soft_rollback", _forget_on_rollback)


def create_paths(app: FastAPI) -> list[str]:
    """The path of every create route in ``app`` (where the header applies)."""
    return [
        str(context.path_format)
        for context in iter_route_contexts(app.routes)
        if is_create(context.route)
    ]


_PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
    "description": (
        "A fresh key (e.g. a UUID) per new create; a retry with the same key returns the "
        "first response (header Idempotent-Replayed: true) instead of creating a duplicate"
    ),
}


def install(app: FastAPI) -> None:
    """Answer replays with the stored response; document the header on every create."""

    @app.exception_handler(IdempotentReplay)
    def _replay(request: Request, replay: IdempotentReplay) -> JSONResponse:
        return JSONResponse(
            replay.body, status_code=replay.status_code, headers={REPLAYED_HEADER: "true"}
        )

    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for path in create_paths(app):
            operation = schema.get("paths", {}).get(path, {}).get("post")
            if operation is None:
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(p.get("name") == HEADER for p in parameters):
                parameters.append(dict(_PARAMETER))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]

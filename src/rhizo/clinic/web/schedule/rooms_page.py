"""Rooms: ``/schedule/rooms``: the list, add one, deactivate one (availability:manage).

Writes are the availability service's (:mod:`rhizo.clinic.schedule.availability`:
one transaction, audited, a duplicate name refused naming the field); the
typed values come back with each message next to its field (422), a stale
version as a conflict (409).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.common import ConflictError, InvalidInputError, NotFoundError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.schedule import availability
from rhizo.clinic.schedule.models import RoomCreate
from rhizo.clinic.web.access import check_csrf, read_form
from rhizo.clinic.web.form_errors import Errors, problem_errors, validation_errors
from rhizo.clinic.web.forms.common import Values, values_of
from rhizo.clinic.web.pages import render
from rhizo.clinic.web.schedule.common import AvailabilityManager, WebUser

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    user: WebUser,
    session: Session,
    *,
    values: Values | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    ctx: dict[str, Any] = {
        "rooms": availability.rooms(session=session),
        "values": values or {},
        "errors": errors or {},
        "saved": request.query_params.get("saved", ""),
    }
    return render(request, "schedule/rooms.html", ctx, user=user, status_code=status_code)


@router.get("/schedule/rooms", response_class=HTMLResponse)
def rooms_page(request: Request, user: AvailabilityManager, session: SessionDep) -> Response:
    """The clinic's rooms."""
    return _page(request, user, session)


@router.post("/schedule/rooms", response_class=HTMLResponse)
async def add_room(request: Request, user: AvailabilityManager, session: SessionDep) -> Response:
    """Add a room through :class:`RoomCreate` and the availability service."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ("name", "fluoroscopy"))
    try:
        data = RoomCreate.model_validate(
            {"name": values["name"], "fluoroscopy": values["fluoroscopy"] == "1"}
        )
        availability.create_room(session=session, actor=user.actor, data=data)
    except ValidationError as error:
        return _page(
            request, user, session, values=values, errors=validation_errors(error), status_code=422
        )
    except InvalidInputError as error:
        return _page(
            request, user, session, values=values, errors=problem_errors(error), status_code=422
        )
    except ConflictError as error:
        return _page(
            request, user, session, values=values, errors={"name": str(error)}, status_code=409
        )
    return RedirectResponse("/schedule/rooms?saved=added#flash", status_code=303)


@router.post("/schedule/rooms/deactivate", response_class=HTMLResponse)
async def deactivate_room(
    request: Request, user: AvailabilityManager, session: SessionDep
) -> Response:
    """Deactivate a room (its id and version from the list)."""
    form = await read_form(request)
    check_csrf(user, form)
    values = values_of(form, ("room_id", "version"))
    if not values["room_id"].isdigit() or not values["version"].isdigit():
        errors = {"form": "choose a room from the list (room_id and version are required)"}
        return _page(request, user, session, errors=errors, status_code=422)
    try:
        availability.deactivate_room(
            session=session,
            actor=user.actor,
            room_id=int(values["room_id"]),
            version=int(values["version"]),
        )
    except InvalidInputError as error:
        return _page(
            request,
            user,
            session,
            errors=problem_errors(error) or {"form": str(error)},
            status_code=422,
        )
    except NotFoundError:
        return _page(
            request, user, session, errors={"form": f"no room {values['room_id']}"}, status_code=422
        )
    except ConflictError as error:
        return _page(request, user, session, errors={"form": str(error)}, status_code=409)
    return RedirectResponse("/schedule/rooms?saved=deactivated#flash", status_code=303)

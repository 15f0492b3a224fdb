"""The admin's clinic settings page: the name, phone and hours a patient is told to call.

The form stores :class:`rhizo.clinic.core.clinic_settings.models.ClinicSettingsRow`
through :func:`rhizo.clinic.core.clinic_settings.service.save` (audited); an empty
field means "use the ``RHIZO_CLINIC_*`` default", shown beside each field. The
phone rule is the settings' one (:func:`rhizo.clinic.core.config.dialable_phone`).
Every page that tells a patient to call reads the result through
:func:`rhizo.clinic.web.clinic_contact.clinic_contact`, so an edit shows at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from rhizo.clinic.core.auth.permissions import Permission
from rhizo.clinic.core.clinic_settings import service as clinic_settings
from rhizo.clinic.core.clinic_settings.models import ClinicSettingsUpdate
from rhizo.clinic.core.common import ConflictError
from rhizo.clinic.core.config import PHONE_DIGITS_MAX, PHONE_DIGITS_MIN
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.web.access import PageAccess, WebUser, check_csrf, read_form
from rhizo.clinic.web.clinic_contact import contact_from
from rhizo.clinic.web.form_errors import Errors, validation_errors
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

SettingsAdmin = Annotated[WebUser, Depends(PageAccess(Permission.SETTINGS_MANAGE))]
FIELDS = clinic_settings.FIELDS


def _page(
    request: Request,
    admin: WebUser,
    session: Session,
    *,
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    settings = request.app.state.settings
    current = clinic_settings.read(session=session, settings=settings)
    if values is None:
        values = {field: getattr(current, field) or "" for field in FIELDS}
        values["version"] = str(current.version)
    defaults = contact_from(settings)  # the RHIZO_CLINIC_* values, one definition
    return render(
        request,
        "admin/settings.html",
        {
            "current": current,
            "defaults": defaults,
            "values": values,
            "errors": errors or {},
            "saved": request.query_params.get("saved") == "1",
            "phone_digits": f"{PHONE_DIGITS_MIN}-{PHONE_DIGITS_MAX}",
        },
        user=admin,
        status_code=status_code,
    )


@router.get("/admin/settings", response_class=HTMLResponse)
def settings_page(request: Request, admin: SettingsAdmin, session: SessionDep) -> Response:
    """The stored clinic contact, the environment's defaults and what patients see."""
    return _page(request, admin, session)


@router.post("/admin/settings", response_class=HTMLResponse)
async def save_settings(request: Request, admin: SettingsAdmin, session: SessionDep) -> Response:
    """Save the clinic contact (empty: the default); a bad phone is refused inline."""
    form = await read_form(request)
    check_csrf(admin, form)
    values = {field: form.get(field, "") for field in (*FIELDS, "version")}
    try:
        data = ClinicSettingsUpdate.model_validate(values)
        clinic_settings.save(session=session, actor=admin.actor, data=data)
    except ValidationError as error:
        return _page(
            request, admin, session, errors=validation_errors(error), values=values, status_code=422
        )
    except ConflictError as error:
        return _page(
            request, admin, session, errors={"form": str(error)}, values=values, status_code=409
        )
    return RedirectResponse("/admin/settings?saved=1", status_code=303)

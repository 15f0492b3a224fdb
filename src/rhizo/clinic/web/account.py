"""One's own account: change the password, enrol the TOTP second factor.

Every logged-in role may open these pages, and they are the only pages an
admin without a second factor can open (everything else redirects here). A
password change needs the current password, ends every other session and API
token of the user and renews this one. Enrolment shows the secret once (QR
code, otpauth URI and base32 text) and takes effect when a code made from it
is confirmed; the session then becomes a full one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from rhizo.clinic.core.auth import enrolment, totp
from rhizo.clinic.core.auth import service as auth_service
from rhizo.clinic.core.auth.login import stage_for
from rhizo.clinic.core.auth.models import PasswordChange, TotpCode
from rhizo.clinic.core.auth.security import Stage
from rhizo.clinic.core.common import ConflictError, InvalidInputError
from rhizo.clinic.core.deps import SessionDep
from rhizo.clinic.web import session as web_session
from rhizo.clinic.web.access import AccountUser, WebUser, check_csrf, read_form
from rhizo.clinic.web.form_errors import Errors, validation_errors
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)


def _must_enrol(request: Request, user: WebUser) -> bool:
    required = request.app.state.settings.admin_totp_required
    return stage_for(user.user, admin_totp_required=required) is Stage.ENROL


def _account_page(
    request: Request, user: WebUser, *, errors: Errors | None = None, status_code: int = 200
) -> Response:
    return render(
        request,
        "account.html",
        {
            "errors": errors or {},
            "changed": request.query_params.get("changed") == "1",
            "enrolled": request.query_params.get("enrolled") == "1",
            "must_enrol": _must_enrol(request, user),
        },
        user=user,
        status_code=status_code,
    )


def _problems(error: InvalidInputError) -> Errors:
    return {problem.field: problem.message for problem in error.problems}


def _renewed(request: Request, user: WebUser, target: str, stage: Stage) -> Response:
    redirect = RedirectResponse(target, status_code=303)
    web_session.start_session(
        request,
        redirect,
        user_id=user.user.id,
        role=user.user.role.value,
        epoch=user.user.session_epoch,
        stage=stage.value,
    )
    return redirect


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: AccountUser) -> Response:
    """Password change and second-factor status."""
    return _account_page(request, user)


@router.post("/account/password", response_class=HTMLResponse)
async def account_password(request: Request, user: AccountUser, session: SessionDep) -> Response:
    """Change one's own password (current one required); other sessions end."""
    form = await read_form(request)
    check_csrf(user, form)
    if form.get("new_password", "") != form.get("confirm_password", ""):
        return _account_page(
            request,
            user,
            errors={"confirm_password": "does not match the new password"},
            status_code=422,
        )
    try:
        data = PasswordChange.model_validate(
            {
                "current_password": form.get("current_password", ""),
                "new_password": form.get("new_password", ""),
            }
        )
        changed = auth_service.change_own_password(session=session, actor=user.actor, data=data)
    except ValidationError as error:
        return _account_page(request, user, errors=validation_errors(error), status_code=422)
    except InvalidInputError as error:
        return _account_page(request, user, errors=_problems(error), status_code=422)
    assert changed is user.user  # noqa: S101 - the same row, its epoch moved on
    stage = Stage.ENROL if user.stage == Stage.ENROL.value else Stage.FULL
    return _renewed(request, user, "/account?changed=1", stage)


def _totp_page(
    request: Request,
    user: WebUser,
    *,
    enrolment_data: dict[str, Any] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "account_totp.html",
        {
            "errors": errors or {},
            "enrolment": enrolment_data,
            "must_enrol": _must_enrol(request, user),
        },
        user=user,
        status_code=status_code,
    )


@router.get("/account/totp", response_class=HTMLResponse)
def account_totp(request: Request, user: AccountUser) -> Response:
    """The second factor: enrolled, or a button to start enrolling."""
    return _totp_page(request, user)


def _shown(secret: str, username: str) -> dict[str, Any]:
    uri = totp.otpauth_uri(secret, username)
    return {"secret": secret, "uri": uri, "qr_svg": totp.qr_svg(uri)}


@router.post("/account/totp/start", response_class=HTMLResponse)
async def account_totp_start(request: Request, user: AccountUser, session: SessionDep) -> Response:
    """A new secret, shown once (QR code, URI, text), and the form for its first code."""
    check_csrf(user, await read_form(request))
    try:
        started = enrolment.begin(session=session, actor=user.actor, user_id=user.user.id)
    except ConflictError as error:
        return _totp_page(request, user, errors={"form": str(error)}, status_code=409)
    return _totp_page(request, user, enrolment_data=_shown(started.secret, user.user.username))


@router.post("/account/totp/confirm", response_class=HTMLResponse)
async def account_totp_confirm(
    request: Request, user: AccountUser, session: SessionDep
) -> Response:
    """Confirm the enrolment with the current code; this session becomes a full one."""
    form = await read_form(request)
    check_csrf(user, form)
    pending = user.user.totp_pending_secret
    try:
        data = TotpCode.model_validate({"code": form.get("code", "").replace(" ", "")})
        confirmed = enrolment.confirm(
            session=session, actor=user.actor, user_id=user.user.id, code=data.code
        )
    except (ValidationError, InvalidInputError) as error:
        errors = (
            validation_errors(error) if isinstance(error, ValidationError) else _problems(error)
        )
        shown = _shown(pending, user.user.username) if pending else None
        return _totp_page(request, user, enrolment_data=shown, errors=errors, status_code=422)
    assert confirmed is user.user  # noqa: S101 - the same row, its epoch moved on
    return _renewed(request, user, "/account?enrolled=1", Stage.FULL)

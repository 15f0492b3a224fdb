"""The login pages: password, then the one-time code of a user with a second factor; logout.

Both steps run :mod:`rhizo.clinic.core.auth.login` (throttling, the bound on
concurrent password checks, audit) in a worker thread, never on the event loop,
so a flood of logins cannot stall the other pages. A throttled attempt gets the
form again with status 429, ``Retry-After`` and the wait in words. An admin
without a second factor is sent to enrol one (:mod:`rhizo.clinic.web.account`)
with a session good for nothing else.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from rhizo.clinic.core.auth import login as login_service
from rhizo.clinic.core.auth import service as auth_service
from rhizo.clinic.core.auth.login import Login, LoginBusy, LoginThrottled, SecondFactorRequired
from rhizo.clinic.core.auth.security import Stage
from rhizo.clinic.core.auth.views import verification_slots
from rhizo.clinic.core.deps import SessionDep, client_ip, request_id
from rhizo.clinic.web import session as web_session
from rhizo.clinic.web.access import AccountUser, CsrfRefused, check_csrf, read_form
from rhizo.clinic.web.pages import render

router = APIRouter(include_in_schema=False)

ENROL_PATH = "/account/totp"


def safe_next(value: str | None) -> str:
    """A local path to go to after login (anything else: the start page)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _form_page(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int,
    headers: dict[str, str] | None = None,
) -> Response:
    token, cookie = web_session.pre_login_token(request)
    response = render(request, template, context, csrf=token, status_code=status_code)
    if cookie is not None:
        web_session.set_pre_login_cookie(request, response, cookie)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _refused(
    request: Request, template: str, error: LoginThrottled | LoginBusy, **ctx: Any
) -> Response:
    if isinstance(error, LoginThrottled):
        message = (
            f"Too many failed attempts for this {error.scope}. Try again in "
            f"{error.retry_after_s} s, or ask an administrator to unlock the account."
        )
    else:
        message = "The server is busy checking other logins. Try again in a moment."
    return _form_page(
        request,
        template,
        {**ctx, "error": message},
        status_code=429,
        headers={"Retry-After": str(error.retry_after_s)},
    )


def _logged_in(request: Request, result: Login, next_path: str) -> Response:
    target = ENROL_PATH if result.stage is Stage.ENROL else next_path
    redirect = RedirectResponse(target, status_code=303)
    web_session.start_session(
        request,
        redirect,
        user_id=result.user.id,
        role=result.user.role.value,
        epoch=result.user.session_epoch,
        stage=result.stage.value,
    )
    return redirect


def _with_session(request: Request, work: Any) -> Any:
    session: Session = request.app.state.session_factory()
    try:
        return work(session)
    finally:
        session.close()


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    """The login form."""
    return _form_page(
        request, "login.html", {"next": safe_next(next), "error": None}, status_code=200
    )


@router.post("/login", response_class=HTMLResponse)
async def login_submit(request: Request) -> Response:
    """Check the CSRF token and the password (throttled; every attempt is audited)."""
    form = await read_form(request)
    if not web_session.pre_login_csrf_ok(request, form.get(web_session.CSRF_FIELD)):
        raise CsrfRefused
    username = form.get("username", "")[:200]
    next_path = safe_next(form.get("next"))
    ctx = {"next": next_path, "username": username[:64]}
    settings = request.app.state.settings
    slots = verification_slots(request)

    def check(session: Session) -> Login | None:
        return login_service.authenticate(
            session=session,
            slots=slots,
            username=username,
            password=form.get("password", "")[:200],
            totp_code=None,
            request_id=request_id(request),
            ip=client_ip(request),
            admin_totp_required=settings.admin_totp_required,
        )

    try:
        result = await run_in_threadpool(_with_session, request, check)
    except (LoginThrottled, LoginBusy) as error:
        return _refused(request, "login.html", error, **ctx)
    except SecondFactorRequired as pending:
        response = _form_page(
            request, "login_totp.html", {"next": next_path, "error": None}, status_code=200
        )
        web_session.set_second_factor_cookie(
            request, response, user_id=pending.user_id, epoch=pending.epoch
        )
        return response
    if result is None:
        return _form_page(
            request,
            "login.html",
            {**ctx, "error": "Incorrect username or password."},
            status_code=401,
        )
    return _logged_in(request, result, next_path)


@router.post("/login/totp", response_class=HTMLResponse)
async def login_totp_submit(request: Request) -> Response:
    """The second step: the one-time code for the password given a moment ago."""
    form = await read_form(request)
    if not web_session.pre_login_csrf_ok(request, form.get(web_session.CSRF_FIELD)):
        raise CsrfRefused
    next_path = safe_next(form.get("next"))
    pending = web_session.read_second_factor(request)
    if pending is None:
        return _form_page(
            request,
            "login.html",
            {"next": next_path, "error": "The login took too long. Enter your password again."},
            status_code=401,
        )
    code = form.get("code", "").strip().replace(" ", "")[:12]
    settings = request.app.state.settings

    def check(session: Session) -> Login | None:
        return login_service.complete_second_factor(
            session=session,
            user_id=pending[0],
            epoch=pending[1],
            code=code,
            request_id=request_id(request),
            ip=client_ip(request),
            admin_totp_required=settings.admin_totp_required,
        )

    ctx = {"next": next_path}
    try:
        result = await run_in_threadpool(_with_session, request, check)
    except LoginThrottled as error:
        return _refused(request, "login_totp.html", error, **ctx)
    if result is None:
        return _form_page(
            request,
            "login_totp.html",
            {**ctx, "error": "That code is wrong, expired or already used. Enter the current one."},
            status_code=401,
        )
    return _logged_in(request, result, next_path)


@router.post("/logout")
async def logout(request: Request, user: AccountUser, session: SessionDep) -> Response:
    """End the session, and every other session and API token of this user (audited)."""
    check_csrf(user, await read_form(request))
    auth_service.end_sessions(session=session, actor=user.actor, user_id=user.user.id)
    response = RedirectResponse("/login", status_code=303)
    web_session.end_session(response)
    return response

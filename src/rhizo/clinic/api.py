"""The FastAPI application: REST routers under ``/api/v1``, OpenAPI at ``/docs``.

:func:`create_app` composes the domain routers; the web application (pages)
adds its own routers to the app this returns, sharing settings, sessions,
roles and the audit trail.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rhizo import DISCLAIMER, __version__
from rhizo.clinic.allergy.views import router as allergy_router
from rhizo.clinic.block.views import router as block_router
from rhizo.clinic.complication.views import router as complication_router
from rhizo.clinic.condition.views import router as condition_router
from rhizo.clinic.core import errors, openapi, server_errors
from rhizo.clinic.core.audit.attempts import audit_refused_attempts
from rhizo.clinic.core.audit.views import router as audit_router
from rhizo.clinic.core.auth.gate import LoginGateMiddleware
from rhizo.clinic.core.auth.views import router as auth_router
from rhizo.clinic.core.auth.views import users_router
from rhizo.clinic.core.body_limit import BodySizeLimitMiddleware
from rhizo.clinic.core.clinic_settings.views import router as clinic_settings_router
from rhizo.clinic.core.config import Settings
from rhizo.clinic.core.database import create_db_engine, create_session_factory
from rhizo.clinic.core.deps import API_PREFIX
from rhizo.clinic.core.headers import SecurityHeadersMiddleware
from rhizo.clinic.core.idempotency import dependency as idempotency
from rhizo.clinic.core.proxy import ProxySettings, TrustedProxyMiddleware
from rhizo.clinic.discharge.views import router as discharge_router
from rhizo.clinic.fhir.views import router as fhir_router
from rhizo.clinic.followup.views import router as followup_router
from rhizo.clinic.intake.views import router as intake_router
from rhizo.clinic.medication.views import router as medication_router
from rhizo.clinic.outcomes.views import router as analytics_router
from rhizo.clinic.patient.account import router as account_router
from rhizo.clinic.patient.views import router as patient_router
from rhizo.clinic.plan.screening import router as screening_router
from rhizo.clinic.plan.views import router as plan_router
from rhizo.clinic.procedure.views import router as procedure_router
from rhizo.clinic.research.views import router as research_router
from rhizo.clinic.schedule.ics_views import router as appointment_calendar_router
from rhizo.clinic.schedule.views import router as schedule_router
from rhizo.clinic.specialist.views import router as specialist_router
from rhizo.clinic.tasks.views import router as tasks_router

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Give each request an id (the client's ``X-Request-ID`` when sane) for the audit trail."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", rid.encode()))
            await send(message)

        await self.app(scope, receive, send_with_id)


def api_router() -> APIRouter:
    """Every REST router, to be mounted at ``/api/v1``."""
    router = APIRouter()
    for sub in (
        auth_router,
        account_router,
        users_router,
        clinic_settings_router,
        patient_router,
        condition_router,
        block_router,
        medication_router,
        allergy_router,
        plan_router,
        screening_router,
        procedure_router,
        discharge_router,
        followup_router,
        complication_router,
        fhir_router,
        specialist_router,
        analytics_router,
        research_router,
        audit_router,
        schedule_router,
        appointment_calendar_router,
        tasks_router,
        intake_router,
    ):
        # Every create honours Idempotency-Key (rhizo.clinic.core.idempotency); others ignore it.
        router.include_router(sub, dependencies=[Depends(idempotency.claim)])
    return router


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    proxies: ProxySettings | None = None,
) -> FastAPI:
    """Build the app for ``settings`` and ``proxies`` (read from the environment when omitted).

    Middleware, outermost first: trusted proxies (client address and scheme),
    security headers (:mod:`rhizo.clinic.core.headers`), body size limit, request
    id. Every route, the pages included, runs under
    :func:`rhizo.clinic.core.audit.attempts.audit_refused_attempts`.
    """
    settings = settings or Settings()
    proxies = proxies or ProxySettings()
    engine = engine or create_db_engine(settings.database_url)
    description = (
        "The rhizo clinic registry: patients, diagnostic blocks, plans, RF neurotomy "
        "procedures with gated lesions, outcomes and complications, with an append-only "
        f"audit trail. Tokens: POST {API_PREFIX}/auth/token.\n\n{DISCLAIMER}"
    )
    app = FastAPI(
        title="rhizo clinic API",
        version=__version__,
        description=description,
        dependencies=[Depends(audit_refused_attempts)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = create_session_factory(engine)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(BodySizeLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(TrustedProxyMiddleware, networks=proxies.networks)
    # Outermost: a login flood's excess is refused before anything else runs (auth.gate).
    app.add_middleware(LoginGateMiddleware, limit=settings.login_concurrency + 2)
    server_errors.install(app)
    errors.install(app)
    app.include_router(api_router(), prefix=API_PREFIX)
    idempotency.install(app)
    openapi.install(app)
    return app


def openapi_paths(app: FastAPI) -> dict[str, Any]:
    """The documented paths (for tests and docs)."""
    paths: dict[str, Any] = app.openapi()["paths"]
    return paths

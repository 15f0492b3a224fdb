"""The lesion planner page: cannula, temperature and time -> the lesion, its source and plot.

A setting inside an already built lesion table (``rhizo lesion-table build``) is
answered from the surrogate at once, labelled with the table's held-out error; the
"Solve" button (``solve=1``) or any setting outside a table runs the engine, which
also draws the temperature map. Tables are never built in a request.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from rhizo.clinic.web.access import StaffUser, WebUser, check_csrf, read_form
from rhizo.clinic.web.pages import render
from rhizo.physics import CLINICAL_TISSUE, LesionProtocol, simulate
from rhizo.physics.surrogate import LesionAnswer, solver_answer
from rhizo.physics.surrogate_cache import default_tables
from rhizo.plots.lesion import lesion_figure
from rhizo.plots.pain import figure_svg

router = APIRouter(include_in_schema=False)

DEFAULTS: dict[str, str] = {
    "gauge": "18",
    "tip_length_mm": "10",
    "set_temperature_c": "80",
    "duration_s": "90",
}
GAUGES = ("16", "18", "20", "22")


def _page(request: Request, user: WebUser, extra: dict[str, Any], status: int = 200) -> Response:
    ctx: dict[str, Any] = {"values": DEFAULTS, "errors": {}, "result": None, "gauges": GAUGES}
    ctx.update(extra)
    return render(request, "planner.html", ctx, user=user, status_code=status)


@router.get("/planner", response_class=HTMLResponse)
def planner_page(request: Request, user: StaffUser) -> Response:
    """The empty planner form."""
    return _page(request, user, {})


@router.post("/planner", response_class=HTMLResponse)
async def planner_run(request: Request, user: StaffUser) -> Response:
    """The lesion from a built table (at once) or the engine (a second or so), with its source."""
    form = await read_form(request)
    check_csrf(user, form)
    values = {key: form.get(key, "").strip()[:20] for key in DEFAULTS}
    try:
        protocol = LesionProtocol.model_validate(
            {"tissue": CLINICAL_TISSUE, **{key: value for key, value in values.items() if value}}
        )
    except ValidationError as error:
        errors: dict[str, str] = {}
        for item in error.errors():
            name = str(item["loc"][0]) if item["loc"] else "form"
            errors.setdefault(name, item["msg"])
        return _page(request, user, {"values": values, "errors": errors}, status=422)
    found: LesionAnswer | str = (
        "solve requested" if form.get("solve") else default_tables().lookup(protocol, build=False)
    )
    if isinstance(found, str):
        # The engine takes a fraction of a second of CPU: keep it off the event loop.
        result = await run_in_threadpool(simulate, protocol)
        found = solver_answer(result, reason=found)
    svg = None
    if found.result is not None:
        svg = figure_svg(lesion_figure(found.result), title="Simulated lesion")
    return _page(
        request,
        user,
        {
            "values": values,
            "result": found,
            "peak_c": found.peak_tissue_temperature_c,
            "lesion_svg": svg,
        },
    )

"""The lesion planner page: tissue, cannula and setting -> the lesion; joint and placement ->
the capture of its nerves; the joint -> the ranked settings of ``rhizo recommend``.

Where the lesion comes from, fastest first, and the page says which:

1. a built lesion table (``rhizo lesion-table build``, or built here in the
   background: :mod:`rhizo.clinic.web.planner_tables`), labelled with its held-out
   error: microseconds;
2. the engine without the temperature map (about 0.1 s of CPU; drawing the map is
   what took the old page seconds), when the setting is outside any built table;
3. the full solve with the temperature map, only when asked ("Full solve"), with a
   "Computing..." indicator.

A table is never built in a request: the page queues the clinical tissue's table
for the asked gauge in a background thread (not in ``RHIZO_ENV=test``).

Capture planning calls :func:`rhizo.planning.estimate_capture` per nerve with the
lesion of :func:`rhizo.planning.lesion_for` (as ``rhizo capture`` does); "Recommend"
calls :func:`rhizo.planning.recommend_run.recommend_for_joint` (as ``rhizo
recommend`` does). Both run off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from matplotlib.collections import QuadMesh

from rhizo.clinic.web.access import StaffUser, WebUser, check_csrf, read_form
from rhizo.clinic.web.pages import render
from rhizo.clinic.web.planner3d import capture3d_for, joint_error
from rhizo.clinic.web.planner_form import (
    DEFAULTS,
    GAUGES,
    hints,
    is_living,
    read_placement,
    read_protocol,
    read_values,
    tissue_options,
)
from rhizo.clinic.web.planner_tables import BUILDS, BuildState, builds_enabled, clinical_spec
from rhizo.physics import CLINICAL_TISSUE, LesionProtocol, LesionResult, simulate
from rhizo.physics.surrogate import LesionAnswer, solver_answer
from rhizo.physics.surrogate_cache import default_tables
from rhizo.planning import (
    SOURCES,
    CannulaPlacement,
    CaptureEstimate,
    Joint,
    estimate_capture,
    lesion_for,
)
from rhizo.planning.recommend import RankedCandidate, largest_capture_alternative
from rhizo.planning.recommend_run import DEFAULT_SAMPLES, recommend_for_joint
from rhizo.plots.lesion import lesion_figure
from rhizo.plots.pain import figure_svg

router = APIRouter(include_in_schema=False)

ACTIONS = ("lesion", "solve", "capture", "capture3d", "recommend")
#: Monte Carlo samples per nerve and seed of the page's capture (``rhizo capture``'s defaults).
CAPTURE_SAMPLES = 10_000
CAPTURE_SEED = 0
#: Rows of the ranking shown (the rest are counted).
RECOMMEND_ROWS = 10
#: Where the capture criterion and the planner's assumptions are written up.
PLANNING_DOC = "docs/planning.md"


@dataclass(frozen=True)
class LesionView:
    """The lesion shown and which path answered: 'table', 'engine' or 'full'."""

    answer: LesionAnswer
    kind: str
    source: str
    svg: str | None = None


def _source_line(answer: LesionAnswer, kind: str) -> str:
    if kind == "table":
        return answer.label
    if kind == "full":
        return "full solve of the engine, with the temperature map"
    return f"engine solve, no temperature map ({answer.reason})"


def _build_state(request: Request, protocol: LesionProtocol) -> BuildState | None:
    """Queue the clinical table of this gauge in the background (never built here)."""
    if protocol.tissue.name != CLINICAL_TISSUE:
        return None
    spec = clinical_spec(BUILDS.tables(), protocol.gauge, protocol.tip_kind)
    if not builds_enabled(request.app.state.settings.env):
        return BUILDS.state(spec)
    return BUILDS.request(spec)


def _solve(protocol: LesionProtocol, *, full: bool, reason: str) -> LesionView:
    result = simulate(protocol)
    answer = solver_answer(result, reason=reason)
    kind = "full" if full else "engine"
    svg = _map_svg(result) if full else None
    return LesionView(answer=answer, kind=kind, source=_source_line(answer, kind), svg=svg)


def _map_svg(result: LesionResult) -> str:
    """The temperature map as inline SVG, its colour meshes (map, colour bar) as images.

    Written as vector cells the SVG is 2.4 MB and the mesh most of the drawing time;
    as images 74 KB and about half the time (text, contours and axes stay vector).
    """
    figure = lesion_figure(result, page=True)
    for axes in figure.axes:
        for collection in axes.collections:
            if isinstance(collection, QuadMesh):
                collection.set_rasterized(True)
    return figure_svg(figure, title="Simulated lesion")


async def lesion_view(protocol: LesionProtocol, *, full: bool) -> LesionView:
    """The lesion of ``protocol``: a built table, else the engine (``full``: with the map)."""
    if full:
        return await run_in_threadpool(_solve, protocol, full=True, reason="solve requested")
    found = default_tables().lookup(protocol, build=False)
    if isinstance(found, LesionAnswer):
        return LesionView(answer=found, kind="table", source=_source_line(found, "table"))
    # The engine takes a tenth of a second of CPU: keep it off the event loop.
    return await run_in_threadpool(_solve, protocol, full=False, reason=found)


@dataclass(frozen=True)
class CaptureView:
    """The capture of each nerve of a joint for one lesion and placement."""

    joint: Joint
    placement: CannulaPlacement
    estimates: list[CaptureEstimate]
    lesion_source: str
    samples: int
    seed: int


def capture_for(protocol: LesionProtocol, joint: Joint, placement: CannulaPlacement) -> CaptureView:
    """Per nerve: P(capture) with its Wilson interval and the coagulated length band."""
    profile = lesion_for(protocol)
    estimates = [
        estimate_capture(profile, nerve, placement, samples=CAPTURE_SAMPLES, seed=CAPTURE_SEED)
        for nerve in joint.nerves
    ]
    return CaptureView(
        joint=joint,
        placement=placement,
        estimates=estimates,
        lesion_source=profile.provenance,
        samples=CAPTURE_SAMPLES,
        seed=CAPTURE_SEED,
    )


def _criterion() -> dict[str, str]:
    source = SOURCES.get("block_length")
    return {
        "citation": source.citation if source else "",
        "evidence": source.evidence if source else "",
        "note": source.note if source else "",
        "doc": PLANNING_DOC,
    }


def _page(request: Request, user: WebUser, extra: dict[str, Any], status: int = 200) -> Response:
    options = tissue_options()
    values = extra.get("values", DEFAULTS)
    chosen = next((o for o in options if o.name == values.get("tissue")), options[0])
    ctx: dict[str, Any] = {
        "values": values,
        "errors": {},
        "view": None,
        "capture": None,
        "capture3d": None,
        "ranking": None,
        "alternative": None,
        "gauges": GAUGES,
        "tissues": options,
        "tissue": chosen,
        "hints": hints(),
        "joints": _joint_names(),
        "criterion": _criterion(),
        "build": None,
        "recommend_samples": DEFAULT_SAMPLES,
        "recommend_rows": RECOMMEND_ROWS,
        "clinical_tissue": CLINICAL_TISSUE,
    }
    ctx.update(extra)
    return render(request, "planner.html", ctx, user=user, status_code=status)


def _joint_names() -> tuple[str, ...]:
    from rhizo.planning import JOINTS

    return tuple(JOINTS)


@router.get("/planner", response_class=HTMLResponse)
def planner_page(request: Request, user: StaffUser) -> Response:
    """The empty planner form (queues the default cannula's table in the background)."""
    default = read_protocol(DEFAULTS)
    build = _build_state(request, default) if isinstance(default, LesionProtocol) else None
    return _page(request, user, {"build": build})


@router.post("/planner", response_class=HTMLResponse)
async def planner_run(request: Request, user: StaffUser) -> Response:
    """The lesion (table, engine or full solve), and on request the capture or the ranking."""
    form = await read_form(request)
    check_csrf(user, form)
    action = str(form.get("action", "lesion"))
    if form.get("solve"):
        action = "solve"
    if action not in ACTIONS:
        action = "lesion"
    values = read_values(form)
    protocol = read_protocol(values)
    errors: dict[str, str] = dict(protocol) if isinstance(protocol, dict) else {}
    target = read_placement(values) if action in ("capture", "capture3d", "recommend") else None
    if isinstance(target, dict):
        errors.update(target)
    elif target is not None and action == "capture3d":
        errors.update(joint_error(target[0]))
    if errors or not isinstance(protocol, LesionProtocol):
        return _page(request, user, {"values": values, "errors": errors}, status=422)
    view = await lesion_view(protocol, full=action == "solve")
    extra: dict[str, Any] = {
        "values": values,
        "view": view,
        "build": _build_state(request, protocol),
        "living": is_living(protocol.tissue),
    }
    if isinstance(target, tuple):
        joint, placement = target
        if action == "capture":
            extra["capture"] = await run_in_threadpool(capture_for, protocol, joint, placement)
        elif action == "capture3d":
            found = await run_in_threadpool(
                lambda: capture3d_for(
                    protocol, joint, placement, samples=CAPTURE_SAMPLES, seed=CAPTURE_SEED
                )
            )
            if isinstance(found, dict):
                return _page(request, user, {"values": values, "errors": found}, status=422)
            extra["capture3d"] = found
        else:
            ranking = await run_in_threadpool(_ranking, joint, placement.offset_mm)
            extra["ranking"] = ranking
            extra["alternative"] = largest_capture_alternative(ranking)
            extra["ranked_joint"] = joint
    return _page(request, user, extra)


def _ranking(joint: Joint, offset_mm: float) -> list[RankedCandidate]:
    return recommend_for_joint(joint, offset_mm=offset_mm)

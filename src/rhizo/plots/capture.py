"""Figures of nerve capture: the lesion and the nerve to scale, and probability sweeps.

All lengths are drawn in millimetres in the cannula frame of
:mod:`rhizo.planning.lesions` (z along the cannula, distal positive, z = 0 at
the metal's distal end). Panels:

- *bone-plane view*: the plane through the cannula axis and the across-nerve
  direction y; *side view*: the plane through the axis and the direction away
  from the bone. The lesion (Omega >= 1) is the outline +-R(z); the nerve is
  its centreline projected on the panel with a band of its diameter; the part
  of the nerve wholly inside the lesion is drawn in red;
- *cross-section*: the plane across the cannula at the active tip's midpoint,
  with the lesion's disc and the nerve's cross-section where it crosses;
- probability sweeps: capture probability with its Wilson 95 % band against
  offset and angle.

Figures are built with the Agg canvas and returned; callers save them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from rhizo.planning.anatomy import Nerve
from rhizo.planning.capture import margins_m
from rhizo.planning.lesions import LesionProfile
from rhizo.planning.montecarlo import CENTRELINE_SPACING_MM, CaptureEstimate
from rhizo.planning.placement import CannulaPlacement, planned_pose

_LESION = "#f4a259"
_NERVE = "#3d5a80"
_CAPTURED = "#c1121f"


def _new_figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _lesion_outline(axes: Axes, profile: LesionProfile) -> None:
    z = profile.z_m * 1e3
    radius = np.where(profile.radius_m > 0, profile.radius_m * 1e3, np.nan)
    axes.fill_between(z, -radius, radius, color=_LESION, alpha=0.45, lw=0, label="lesion")
    axes.plot(z, radius, color=_LESION, lw=1)
    axes.plot(z, -radius, color=_LESION, lw=1)


def _cannula(axes: Axes, profile: LesionProfile, radius_mm: float, z_min: float) -> None:
    tip = profile.tip_length_m * 1e3
    axes.fill_between([-tip, 0.0], -radius_mm, radius_mm, color="0.35", label="active tip")
    axes.fill_between([z_min, -tip], -radius_mm, radius_mm, color="0.75", label="insulated")


def geometry_axes(
    axes_plane: Axes,
    axes_side: Axes,
    axes_cross: Axes,
    profile: LesionProfile,
    nerve: Nerve,
    placement: CannulaPlacement,
    *,
    cannula_radius_mm: float,
) -> None:
    """Draw the bone-plane view, side view and cross-section of the planned placement."""
    tip_mm = profile.tip_length_m * 1e3
    pose = planned_pose(placement, nerve, tip_length_mm=tip_mm, cannula_radius_mm=cannula_radius_mm)
    centreline = nerve.centreline_m(CENTRELINE_SPACING_MM)
    margin = margins_m(profile, centreline, pose.tips, pose.directions, pose.nerve_radius_m)[0]
    u = pose.directions[0]
    across = np.array([0.0, 1.0, 0.0])
    away = np.cross(u, across)
    tip = pose.tips[0, 0]
    relative = (centreline - tip) * 1e3
    z_c = relative @ u
    coordinates = {"plane": relative @ across, "side": relative @ away}
    inside = margin >= 0
    radius = nerve.diameter_mm / 2
    z_lo = min(-tip_mm - 6.0, float(profile.z_m[profile.radius_m > 0].min() * 1e3) - 2)
    for axes, key, label in (
        (axes_plane, "plane", "across the nerve, bone plane (mm)"),
        (axes_side, "side", "away from bone (mm)"),
    ):
        _lesion_outline(axes, profile)
        _cannula(axes, profile, cannula_radius_mm, z_lo)
        lateral = coordinates[key]
        axes.fill_between(z_c, lateral - radius, lateral + radius, color=_NERVE, alpha=0.35)
        axes.plot(z_c, lateral, color=_NERVE, lw=1, label=nerve.name)
        captured = np.where(inside, lateral, np.nan)
        axes.plot(z_c, captured, color=_CAPTURED, lw=2.5, label="captured (whole section)")
        axes.set_xlim(z_lo, 8.0)
        axes.set_ylim(-8.0, 8.0)
        axes.set_aspect("equal")
        axes.set_xlabel("along the cannula, z (mm; 0 = distal end)")
        axes.set_ylabel(label)
    axes_plane.set_title("bone-plane view")
    axes_side.set_title("side view")
    axes_plane.legend(loc="upper left", fontsize=7)
    # Cross-section at the active tip's midpoint.
    z_mid = -tip_mm / 2
    lesion_radius = float(profile.radius_at(np.array([z_mid * 1e-3]))[0]) * 1e3
    axes_cross.add_patch(Circle((0, 0), lesion_radius, color=_LESION, alpha=0.45))
    axes_cross.add_patch(Circle((0, 0), cannula_radius_mm, color="0.35"))
    crossing = int(np.argmin(np.abs(z_c - z_mid)))
    if abs(z_c[crossing] - z_mid) < 0.5:
        centre = (coordinates["plane"][crossing], coordinates["side"][crossing])
        colour = _CAPTURED if inside[crossing] else _NERVE
        axes_cross.add_patch(Circle(centre, radius, color=colour, alpha=0.8))
    axes_cross.set_xlim(-6, 6)
    axes_cross.set_ylim(-6, 6)
    axes_cross.set_aspect("equal")
    axes_cross.set_xlabel("across the nerve (mm)")
    axes_cross.set_ylabel("away from bone (mm)")
    axes_cross.set_title(f"cross-section at z = {z_mid:g} mm")


def sweep_axes(
    axes: Axes, values: Sequence[float], estimates: Sequence[CaptureEstimate], label: str
) -> None:
    """Capture probability with its 95 % band against one placement parameter."""
    probability = np.array([e.capture_probability for e in estimates])
    low = np.array([e.ci95[0] for e in estimates])
    high = np.array([e.ci95[1] for e in estimates])
    axes.fill_between(values, low, high, color=_NERVE, alpha=0.25, lw=0, label="95 % CI")
    axes.plot(values, probability, "o-", color=_NERVE, ms=3, label="capture probability")
    axes.set_ylim(0.0, 1.02)
    axes.set_xlabel(label)
    axes.set_ylabel("capture probability")
    axes.grid(alpha=0.3)


def capture_figure(
    profile: LesionProfile,
    nerve: Nerve,
    placement: CannulaPlacement,
    *,
    cannula_radius_mm: float,
    offsets_mm: Sequence[float],
    offset_estimates: Sequence[CaptureEstimate],
    angles_deg: Sequence[float],
    angle_estimates: Sequence[CaptureEstimate],
    title: str = "",
) -> Figure:
    """The full capture figure: three geometry panels and the two probability sweeps."""
    figure = _new_figure(13.0, 8.0)
    grid = figure.add_gridspec(2, 3)
    geometry_axes(
        figure.add_subplot(grid[0, 0]),
        figure.add_subplot(grid[0, 1]),
        figure.add_subplot(grid[0, 2]),
        profile,
        nerve,
        placement,
        cannula_radius_mm=cannula_radius_mm,
    )
    offset_axes = figure.add_subplot(grid[1, 0:2])
    sweep_axes(offset_axes, offsets_mm, offset_estimates, "planned offset across the nerve (mm)")
    offset_axes.set_title("capture probability against offset")
    angle_axes = figure.add_subplot(grid[1, 2])
    sweep_axes(angle_axes, angles_deg, angle_estimates, "angle between cannula and nerve (deg)")
    angle_axes.set_title("against angle")
    if title:
        figure.suptitle(title)
    return figure

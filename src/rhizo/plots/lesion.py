"""Figures of a simulated lesion: temperature map with lesion contours beside the traces."""

from __future__ import annotations

from typing import Literal

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon

from rhizo import DISCLAIMER
from rhizo.physics import LesionResult
from rhizo.plots.screen import MIN_FONT_PT, TITLE_FONT_PT, WIDTH_IN, screen_fonts

CONTOUR_STYLES: dict[str, tuple[str, Literal["-", "--", ":"]]] = {
    "arrhenius": ("white", "-"),
    "isotherm_50c": ("#ffd166", "--"),
    "isotherm_45c": ("#06d6a0", ":"),
}
CONTOUR_LABELS = {
    "arrhenius": "Arrhenius \u03a9 = 1",
    "isotherm_50c": "peak 50 \u00b0C",
    "isotherm_45c": "peak 45 \u00b0C",
}


def _cannula_outline(result: LesionResult) -> tuple[np.ndarray, np.ndarray]:
    """Polygon of the metal in the (z, r) plane, mirrored about the axis, in mm."""
    electrode = result.protocol.electrode
    cap_z = np.linspace(-electrode.point_length_m, 0.0, 32)
    probe_r = np.linspace(0.0, electrode.radius_m, 400)
    # The metal radius at each z along the end cap is the largest r inside the level set.
    cap_radius = np.array(
        [
            probe_r[inside].max()
            if (inside := electrode.level_set(probe_r, np.full_like(probe_r, z)) < 0).any()
            else 0.0
            for z in cap_z
        ]
    )
    z_far = result.grid.z_faces_m[0]
    z_points = np.concatenate([[z_far], cap_z, cap_z[::-1], [z_far]]) * 1e3
    r_points = (
        np.concatenate([[electrode.radius_m], cap_radius, -cap_radius[::-1], [-electrode.radius_m]])
        * 1e3
    )
    return z_points, r_points


def lesion_figure(
    result: LesionResult, *, view_mm: float | None = None, page: bool = False
) -> Figure:
    """Temperature map (final) with lesion contours and the cannula, beside generator traces.

    ``page``: for a web page, phone first (rhizo.plots.screen): 5 in wide, the map
    above the traces, its legend under it, no text under 12 pt, no disclaimer (the
    page shows it). Otherwise the 12 x 5.8 in figure of the CLI and the docs.
    """
    if page:
        with screen_fonts():
            return _lesion_figure(result, view_mm=view_mm, page=True)
    return _lesion_figure(result, view_mm=view_mm, page=False)


def _lesion_figure(result: LesionResult, *, view_mm: float | None, page: bool) -> Figure:
    protocol = result.protocol
    grid = result.grid
    tip_mm = protocol.tip_length_mm
    half_width = view_mm or max(6.0, result.boundaries["isotherm_45c"].width_mm * 0.8 + 1.0)
    legend_pt, title_pt = (MIN_FONT_PT, TITLE_FONT_PT) if page else (8.0, 10.0)
    if page:
        figure = plt.figure(figsize=(WIDTH_IN, 11.0), layout="constrained")
        spec = figure.add_gridspec(5, 1, height_ratios=[3.5, 1.0, 1.5, 1.5, 1.5])
        ax_map = figure.add_subplot(spec[0])
        ax_legend = figure.add_subplot(spec[1])
        ax_legend.axis("off")
        traces_at = (spec[2], spec[3], spec[4])
    else:
        figure = plt.figure(figsize=(12, 5.8), layout="constrained")
        spec = figure.add_gridspec(3, 2, width_ratios=[1.35, 1])
        ax_map = figure.add_subplot(spec[:, 0])
        traces_at = (spec[0, 1], spec[1, 1], spec[2, 1])
    r_mm = grid.r_centres_m * 1e3
    z_mm = grid.z_centres_m * 1e3
    mirrored_r = np.concatenate([-r_mm[::-1], r_mm])

    def mirror(values: np.ndarray) -> np.ndarray:
        return np.concatenate([values[::-1], values], axis=0)

    temperature = np.where(result.metal, np.nan, result.temperature_c)
    mesh = ax_map.pcolormesh(
        z_mm,
        mirrored_r,
        mirror(temperature),
        cmap="inferno",
        shading="auto",
        vmin=protocol.tissue.initial_temperature_c,
        vmax=max(protocol.set_temperature_c, 50.0),
    )
    figure.colorbar(
        mesh,
        ax=ax_map,
        label="temperature at end (\u00b0C)",
        shrink=0.8,
        location="bottom" if page else "right",
    )
    handles = []
    for boundary, (colour, style) in CONTOUR_STYLES.items():
        field, threshold = result.boundary_field(boundary)
        # Metal counts as inside so contours close around the cannula, not through it.
        masked = np.where(result.metal, threshold + 1.0, field)
        ax_map.contour(
            z_mm,
            mirrored_r,
            mirror(masked),
            levels=[threshold],
            colors=colour,
            linestyles=style,
            linewidths=1.6,
        )
        dims = result.boundaries[boundary]
        handles.append(
            Line2D(
                [],
                [],
                color=colour,
                linestyle=style,
                label=(
                    f"{CONTOUR_LABELS[boundary]}: "
                    f"{dims.width_mm:.1f} \u00d7 {dims.length_mm:.1f} mm"
                ),
            )
        )
    z_points, r_points = _cannula_outline(result)
    ax_map.add_patch(
        Polygon(
            np.column_stack([z_points, r_points]),
            closed=True,
            facecolor="#9aa5b1",
            edgecolor="black",
            linewidth=0.8,
            zorder=5,
        )
    )
    ax_map.fill_between(
        [z_mm.min(), -tip_mm],
        [-protocol.electrode.radius_m * 1e3] * 2,
        [protocol.electrode.radius_m * 1e3] * 2,
        color="#2b2d42",
        zorder=6,
    )
    ax_map.set_xlim(-tip_mm - half_width, half_width)
    ax_map.set_ylim(-half_width, half_width)
    ax_map.set_aspect("equal")
    ax_map.set_xlabel("along the cannula (mm; 0 = tip end)")
    ax_map.set_ylabel("across the cannula (mm)")
    if page:  # under the map: inside it would hide the lesion on a phone
        # On the map's dark ground: the Arrhenius contour is drawn white.
        ax_legend.legend(
            handles=handles,
            loc="center left",
            fontsize=legend_pt,
            facecolor="#2b2d42",
            labelcolor="white",
            framealpha=1.0,
        )
    else:
        ax_map.legend(handles=handles, loc="upper left", fontsize=legend_pt, framealpha=0.85)
    setting = (
        f"{protocol.gauge} G, {protocol.tip_length_mm:g} mm tip, "
        f"{protocol.set_temperature_c:g} \u00b0C, {protocol.duration_s:g} s"
    )
    tissue = f"in {protocol.tissue.name}"
    ax_map.set_title(f"{setting}\n{tissue}" if page else f"{setting} {tissue}", fontsize=title_pt)

    traces = result.traces
    ax_temp = figure.add_subplot(traces_at[0])
    ax_temp.plot(traces.time_s, traces.tip_temperature_c, label="tip thermocouple")
    ax_temp.plot(traces.time_s, traces.set_point_c, "--", color="grey", label="set point")
    ax_temp.set_ylabel("\u00b0C")
    ax_temp.legend(fontsize=legend_pt)
    ax_power = figure.add_subplot(traces_at[1], sharex=ax_temp)
    ax_power.plot(traces.time_s, traces.power_w, color="tab:red", label="power (W)")
    ax_power.set_ylabel("W", color="tab:red")
    ax_volt = ax_power.twinx()
    ax_volt.plot(traces.time_s, traces.voltage_v, color="tab:purple", label="voltage (V)")
    ax_volt.set_ylabel("V", color="tab:purple")
    ax_imp = figure.add_subplot(traces_at[2], sharex=ax_temp)
    ax_imp.plot(traces.time_s, traces.impedance_ohm, color="tab:green", label="impedance")
    ax_imp.set_ylabel("\u03a9", color="tab:green")
    ax_cur = ax_imp.twinx()
    ax_cur.plot(traces.time_s, traces.current_a * 1e3, color="tab:orange", label="current")
    ax_cur.set_ylabel("mA", color="tab:orange")
    ax_imp.set_xlabel("time (s)")
    ax_temp.set_title("generator traces (model)", fontsize=title_pt)
    if not page:
        figure.text(0.01, 0.003, DISCLAIMER, fontsize=7, color="dimgray")
    return figure

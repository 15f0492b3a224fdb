"""The recommendation's trade-off: capture probability against lesion volume and safety margin.

Two panels over the ranked candidates (:func:`rhizo.planning.recommend.rank_candidates`):

- joint capture probability against the union lesion volume (mm^3; overlap of a
  nerve's lesions counted once), with the Pareto front of the safe candidates
  (no other safe candidate has a higher probability and a smaller volume);
- joint capture probability against the safety margin (mm; the smallest planned
  clearance to a structure at risk), with the front for higher probability and
  larger margin.

Safe candidates are filled circles (parallel and angled in two colours);
excluded ones grey crosses; the chosen candidate (the first safe one) is a star.
Built on the Agg canvas and returned; callers save it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rhizo.planning.recommend import RankedCandidate

_PARALLEL = "#3d5a80"
_ANGLED = "#ee6c4d"
_EXCLUDED = "#a0a0a0"
_FRONT = "#293241"
_CHOSEN = "#c1121f"


def pareto_front(
    probabilities: Sequence[float], costs: Sequence[float], *, lower_cost_is_better: bool = True
) -> list[int]:
    """Indices of the non-dominated points (higher probability, better cost), by cost.

    A point is dominated when another is at least as good in both and better in one.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    c = np.asarray(costs, dtype=np.float64) * (1.0 if lower_cost_is_better else -1.0)
    front = []
    for i in range(p.size):
        better_or_equal = (p >= p[i]) & (c <= c[i])
        strictly = (p > p[i]) | (c < c[i])
        if not np.any(better_or_equal & strictly):
            front.append(i)
    return sorted(front, key=lambda i: c[i])


def _panel(
    axes: Axes,
    ranked: Sequence[RankedCandidate],
    costs: list[float],
    *,
    lower_cost_is_better: bool,
    xlabel: str,
) -> None:
    probability = [entry.joint_probability for entry in ranked]
    safe = [i for i, entry in enumerate(ranked) if entry.safe]
    excluded = [i for i, entry in enumerate(ranked) if not entry.safe]
    if excluded:
        axes.scatter(
            [costs[i] for i in excluded],
            [probability[i] for i in excluded],
            marker="x",
            color=_EXCLUDED,
            label="excluded (safety or temperature)",
        )
    for label, colour, wanted in (("parallel", _PARALLEL, True), ("angled", _ANGLED, False)):
        chosen = [i for i in safe if (ranked[i].candidate.angle_deg == 0) == wanted]
        if chosen:
            axes.scatter(
                [costs[i] for i in chosen],
                [probability[i] for i in chosen],
                color=colour,
                label=f"safe, {label}",
                alpha=0.8,
            )
    if safe:
        front = pareto_front(
            [probability[i] for i in safe],
            [costs[i] for i in safe],
            lower_cost_is_better=lower_cost_is_better,
        )
        axes.plot(
            [costs[safe[i]] for i in front],
            [probability[safe[i]] for i in front],
            color=_FRONT,
            linestyle="--",
            label="Pareto front (safe)",
        )
        best = safe[0]
        axes.scatter(
            [costs[best]],
            [probability[best]],
            marker="*",
            s=260,
            color=_CHOSEN,
            zorder=5,
            label="recommended",
        )
    axes.set_xlabel(xlabel)
    axes.set_ylabel("P(joint captured)")
    axes.grid(alpha=0.3)


def tradeoff_figure(ranked: Sequence[RankedCandidate], *, title: str) -> Figure:
    """Capture against union volume and against safety margin, fronts and choice marked."""
    if not ranked:
        raise ValueError("tradeoff_figure needs at least one ranked candidate")
    figure = Figure(figsize=(12, 5))
    FigureCanvasAgg(figure)
    volume_axes, margin_axes = figure.subplots(1, 2, sharey=True)
    _panel(
        volume_axes,
        ranked,
        [entry.union_volume_mm3 for entry in ranked],
        lower_cost_is_better=True,
        xlabel="union lesion volume (mm$^3$, overlap counted once)",
    )
    margins = [entry.safety_margin_mm for entry in ranked]
    finite = [m for m in margins if np.isfinite(m)]
    cap = max(finite, default=0.0) + 1.0
    _panel(
        margin_axes,
        ranked,
        [m if np.isfinite(m) else cap for m in margins],
        lower_cost_is_better=False,
        xlabel="safety margin: smallest planned clearance to a structure (mm)",
    )
    volume_axes.legend(loc="lower right", fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure

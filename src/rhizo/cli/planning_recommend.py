"""``rhizo recommend``: cannula settings for a joint ranked under safety constraints.

Lesions come from :func:`rhizo.planning.profile_store.stored_lesion_for` (kept
on disk between runs, keyed by the protocol and the physics source). Safe
candidates (temperature in the region's evidence range, structures at risk
spared: :mod:`rhizo.planning.safety`) rank first; among those whose joint capture
interval overlaps the best's, the fewest lesions per nerve, then the smallest
union volume, then the shortest time are recommended, and the largest-capture
alternative is shown with its gain (:func:`rhizo.planning.recommend.order_ranking`);
excluded ones follow with the reason. With 400 samples or more the ranking is
an adaptive screen: an eighth of the samples first, contenders doubled up to the
full count (:func:`rhizo.planning.recommend.rank_candidates`, parameters in
:mod:`rhizo.planning.recommend_run`). ``--plot PATH`` writes the trade-off figure
(:mod:`rhizo.plots.recommend`); its folder is checked before anything runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rhizo import DISCLAIMER
from rhizo.cli._errors import InputError, fail
from rhizo.cli.planning import (
    CellOption,
    EngineOption,
    JointOption,
    JsonFlag,
    MinLengthOption,
    OffsetOption,
    SamplesOption,
    SeedOption,
    check_common,
    planner_assumptions,
    resolve_joint,
    tissue_line,
    tissue_report,
)
from rhizo.cli.planning_checks import check_plot_path, emit_json
from rhizo.planning.capture import MIN_CAPTURED_LENGTH_MM
from rhizo.planning.recommend_run import REFINE_TOP, screen_samples_for


def recommend(
    joint: JointOption,
    offset_mm: OffsetOption = 1.0,
    samples: SamplesOption = 1000,
    seed: SeedOption = 0,
    min_length_mm: MinLengthOption = MIN_CAPTURED_LENGTH_MM,
    top: Annotated[int, typer.Option("--top", help="Rows to show in the table.")] = 15,
    backend: Annotated[
        str,
        typer.Option(
            "--backend",
            help="How to simulate the lesions: 'single' (one at a time), 'numpy' (batched "
            "on the CPU) or 'cupy' (batched on a CUDA GPU; pip install 'rhizo[gpu]').",
        ),
    ] = "single",
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Save the trade-off figure (PNG, SVG or PDF)."),
    ] = None,
    as_json: JsonFlag = False,
    engine: EngineOption = "axisymmetric",
    cell_mm: CellOption = None,
    top_3d: Annotated[
        int,
        typer.Option(
            "--top-3d", help="With --engine 3d: safe one-lesion candidates re-scored in 3D."
        ),
    ] = 3,
) -> None:
    """Rank cannula settings for a joint: capture probability under safety constraints."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from rhizo.cli.capture3d import check_engine, print_recommend_3d, recommend_3d
    from rhizo.planning.profile_store import stored_lesion_for
    from rhizo.planning.recommend import (
        candidate_grid,
        largest_capture_alternative,
        rank_candidates,
        stage_schedule,
    )

    target = resolve_joint(joint)
    check_common(target, samples, seed, offset_mm, min_length_mm)
    if not 1 <= top <= 10_000:
        fail("--top", top, "an integer from 1 to 10000")
    if backend not in ("single", "numpy", "cupy"):
        fail("--backend", backend, "single, numpy or cupy")
    check_plot_path("--plot", plot)
    cell_3d_mm = check_engine(
        engine, cell_mm, joint=target.name, plot=plot, top_3d=top_3d, plots_3d=False
    )
    candidates = candidate_grid()
    # Adaptive screen: an eighth of the samples first, contenders doubled up to the full
    # count (the parameters the web planner uses too: rhizo.planning.recommend_run).
    screen = screen_samples_for(samples)
    if backend != "single":
        _prefetch(candidates, backend)
    with Progress(
        TextColumn("ranking settings"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("rank", total=None)
        ranked = rank_candidates(
            target,
            candidates,
            offset_mm=offset_mm,
            samples=samples,
            seed=seed,
            min_length_mm=min_length_mm,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            lesion_source=stored_lesion_for,
            screen_samples=screen,
            refine_top=REFINE_TOP,
        )
    if plot is not None:
        _save_plot(plot, target.name, ranked)
    three_d = (
        recommend_3d(
            target=target,
            ranked=ranked,
            offset_mm=offset_mm,
            cell_mm=cell_3d_mm,
            top_3d=top_3d,
            samples=samples,
            seed=seed,
            min_length_mm=min_length_mm,
        )
        if cell_3d_mm is not None
        else None
    )
    if as_json:
        emit_json(
            {
                "inputs": {
                    "joint": target.name,
                    "region": target.region,
                    "offset_mm": offset_mm,
                    "samples": samples,
                    "seed": seed,
                    "min_captured_length_mm": min_length_mm,
                    "screen_samples": screen,
                    "stage_samples": stage_schedule(samples, screen),
                    "refine_top_per_round": REFINE_TOP if screen else None,
                },
                "recommendation": _recommendation(ranked, largest_capture_alternative(ranked)),
                "tissue": tissue_report(),
                "nerves": [nerve.name for nerve in target.nerves],
                "safety": _safety_report(target.region),
                "ranking": [entry.to_dict() for entry in ranked],
                "assumptions": planner_assumptions(),
                **({"plot": str(plot)} if plot is not None else {}),
                **({"engine": "3d", "three_d": three_d} if three_d is not None else {}),
            }
        )
        return
    _print_ranking(target, ranked, top, samples, plot)
    if three_d is not None:
        print_recommend_3d(three_d)


#: The ranking rule in words (docs/planning.md, "Which candidate is recommended").
RANKING_RULE = (
    "Among safe candidates evaluated in full whose joint capture interval overlaps the "
    "best's (statistically indistinguishable), the fewest lesions per nerve, then the "
    "smallest union volume, then the shortest total time; the others follow by capture."
)


def _recommendation(ranked: list[Any], alternative: dict[str, Any] | None) -> dict[str, Any]:
    """The recommended candidate, the rule that chose it and the bigger alternative."""
    chosen = ranked[0] if ranked and ranked[0].equivalent_to_best else None
    return {
        "rule": RANKING_RULE,
        "recommended": chosen.label if chosen is not None else None,
        "equivalent_candidates": sum(1 for entry in ranked if entry.equivalent_to_best),
        "largest_capture_alternative": alternative,
    }


def _safety_report(region: str) -> dict[str, Any]:
    """The constraints applied, with their sources and evidence levels."""
    from rhizo.planning.safety import (
        MAX_REACH_PROBABILITY,
        SAFETY_SOURCES,
        STRUCTURES,
        TEMPERATURE_RANGES_C,
    )

    allowed = TEMPERATURE_RANGES_C[region]
    keys = sorted(
        {key for structure in STRUCTURES[region] for key in structure.sources}
        | set(allowed.sources)
        | {"assumed_reach_probability"}
    )
    return {
        "temperature_range_c": [allowed.low_c, allowed.high_c],
        "max_reach_probability": MAX_REACH_PROBABILITY,
        "structures": [
            {"name": s.name, "position_mm": list(s.position_mm), "sources": list(s.sources)}
            for s in STRUCTURES[region]
        ],
        "sources": {
            key: {
                "citation": SAFETY_SOURCES[key].citation,
                "evidence": SAFETY_SOURCES[key].evidence,
                "note": SAFETY_SOURCES[key].note,
            }
            for key in keys
        },
    }


def _save_plot(path: Path, joint_name: str, ranked: list[Any]) -> None:
    from rhizo.plots.recommend import tradeoff_figure

    figure = tradeoff_figure(
        ranked, title=f"{joint_name}: capture against lesion volume and safety margin"
    )
    figure.savefig(path, dpi=110)


def _prefetch(candidates: list[Any], backend: str) -> None:
    """Simulate the candidates' distinct lesions as one batched sweep, with progress."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from rhizo.planning.lesions import prefetch_lesions

    protocols = [candidate.setting.protocol() for candidate in candidates]
    with Progress(
        TextColumn(f"simulating lesions ({backend})"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("lesions", total=None)
        try:
            prefetch_lesions(
                protocols,
                backend=backend,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
        except RuntimeError as error:  # no CuPy or no GPU: say so, exit 2
            raise InputError(f"--backend: {error}") from None


def _print_ranking(
    target: Any, ranked: list[Any], top: int, samples: int, plot: Path | None
) -> None:
    from rich.console import Console
    from rich.table import Table

    from rhizo.planning.recommend import largest_capture_alternative

    console = Console()
    if not console.is_terminal:  # pipes and files: do not squeeze the columns into 80
        console.width = 160
    safe = [entry for entry in ranked if entry.safe]
    excluded = [entry for entry in ranked if not entry.safe]
    nerves = " + ".join(nerve.name for nerve in target.nerves)
    shown = safe[:top]
    table = Table(
        title=f"Safe settings for {target.name} ({nerves}), best {len(shown)} of {len(safe)} "
        f"safe ({len(excluded)} excluded)"
    )
    for column in (
        "#", "=", "gauge", "tip mm", "temp C", "time s", "technique", "P(joint)", "95 % CI",
        "n", "coag. length mm", "union mm3", "margin mm", "total time s",
    ):  # fmt: skip
        table.add_column(column, justify="right" if column != "technique" else "left")
    for index, entry in enumerate(shown, start=1):
        setting = entry.candidate.setting
        low, high = entry.joint_ci95
        margin = entry.safety_margin_mm
        table.add_row(
            str(index),
            "=" if entry.equivalent_to_best else "",
            str(setting.gauge),
            f"{setting.tip_length_mm:g}",
            f"{setting.set_temperature_c:g}",
            f"{setting.duration_s:g}",
            entry.candidate.technique,
            f"{entry.joint_probability:.3f}",
            f"{low:.2f}-{high:.2f}",
            str(entry.samples),
            f"{entry.expected_coagulated_length_mm:.1f}",
            f"{entry.union_volume_mm3:.0f}",
            f"{margin:.1f}" if margin != float("inf") else "-",
            f"{entry.lesion_time_s:g}",
        )
    console.print(table)
    reasons: dict[str, int] = {}
    for entry in excluded:
        for reason in entry.excluded_because:
            kind = reason.split(" in ")[0] if "reaches" in reason else reason
            reasons[kind] = reasons.get(kind, 0) + 1
    for reason, count in sorted(reasons.items()):
        console.print(f"excluded: {count} x {reason}")
    console.print(
        f"P(joint) = every nerve captured (up to {samples} samples per nerve, column n); "
        "rows marked = are equivalent to the best. " + RANKING_RULE + " Union volume counts "
        "overlap once. Safety constraints and their sources: --json 'safety', docs/planning.md."
    )
    alternative = largest_capture_alternative(ranked)
    if alternative is not None:
        console.print(
            f"Largest-capture alternative (#{alternative['rank']}): {alternative['setting']}: "
            f"joint capture {alternative['joint_capture_gain']:+.3f}, coagulated length "
            f"{alternative['coagulated_length_gain_mm']:+.1f} mm, union volume "
            f"{alternative['union_volume_extra_mm3']:+.0f} mm3, lesions per nerve "
            f"{alternative['extra_lesions_per_nerve']:+d}, time {alternative['extra_time_s']:+g} s."
        )
    console.print(tissue_line(tissue_report()))
    if plot is not None:
        console.print(f"plot: {plot}")
    console.print(DISCLAIMER, style="italic")

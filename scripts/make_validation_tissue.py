"""Regenerate the "Damage per tissue" and "In-vivo vs bench" sections of docs/validation.md.

Run: ``.venv/bin/python scripts/make_validation_tissue.py`` (about 20 s on one core).

Everything here comes from the engine and from project files: the damage models of
:mod:`rhizo.physics.damage`, the tissues of :mod:`rhizo.physics.tissue` and the
published lesion rows of ``src/rhizo/physics/tissues/published_lesions.csv`` (each
with its source and evidence level). One parameter set per tissue, no tuning per
row. Writes:

- the block between ``<!-- tissue:start -->`` and ``<!-- tissue:end -->`` in
  docs/validation.md (appended once if the markers are missing);
- docs/img/tissue_damage_models.png (time to Omega = 1 against temperature);
- docs/img/tissue_in_vivo_vs_bench.png (what makes the in-vivo lesion differ).
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from rhizo.physics import LesionProtocol, LesionResult, simulate
from rhizo.physics.damage import (
    DAMAGE_MODELS,
    DEFAULT_DAMAGE_MODEL,
    GAS_CONSTANT_J_PER_MOL_K,
    KELVIN_OFFSET,
    NERVE_FUNCTION_DAMAGE_MODEL,
    WONDERGEM_1988_EXPOSURES,
    ArrheniusModel,
)
from rhizo.physics.tissue import (
    ITIS_FAT_PERFUSION_ML_PER_MIN_KG,
    ITIS_MUSCLE_PERFUSION_ML_PER_MIN_KG,
    TISSUES,
)
from rhizo.physics.tissues import PublishedLesion, published_lesions
from rhizo.physics.tissues.compare import (
    engine_value,
    radial_beyond_metal_mm,
    relative_error,
    within,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
START, END = "<!-- tissue:start -->", "<!-- tissue:end -->"
SETTINGS = ((18, 10.0, 80.0, 90.0), (22, 5.0, 80.0, 90.0), (16, 10.0, 90.0, 120.0))


def _published(low: float | None, high: float | None) -> str:
    if low is None:
        return f"<= {high:g}"
    if high is None:
        return f">= {low:g}"
    return f"{low:g}" if low == high else f"{low:g}-{high:g}"


def damage_table() -> list[str]:
    lines = [
        "| model | A (1/s) | Ea (kJ/mol) | t(Omega=1) at 45 / 50 / 60 / 70 C (s) "
        "| endpoint | evidence |",
        "|---|---|---|---|---|---|",
    ]
    for key, model in DAMAGE_MODELS.items():
        times = " / ".join(f"{model.time_to_omega_one_s(t):.3g}" for t in (45.0, 50.0, 60.0, 70.0))
        lines.append(
            f"| {key}: {model.name} | {model.frequency_factor_per_s:.3g} | "
            f"{model.activation_energy_j_per_mol / 1e3:.1f} | {times} | {model.endpoint} | "
            f"{model.evidence} |"
        )
    return lines


def tissue_table() -> list[str]:
    lines = [
        "| tissue | start C | perfusion w_b (1/s) | perfusion model | damage model | lesion edge |",
        "|---|---|---|---|---|---|",
    ]
    for tissue in TISSUES.values():
        lines.append(
            f"| {tissue.name} | {tissue.initial_temperature_c:g} | "
            f"{tissue.perfusion_rate_per_s:.2g} | "
            f"{tissue.perfusion_model if tissue.perfusion_rate_per_s else '-'} | "
            f"{tissue.damage.name} | {tissue.lesion_boundary_definition} |"
        )
    return lines


def comparison_table() -> tuple[list[str], int, int, dict[str, tuple[float, float]]]:
    lines = [
        "| row | published | engine, tissue's own model | error | engine, liver rule everywhere "
        "| error | stand-in | source (evidence) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    inside_own = inside_liver = 0
    errors: dict[str, tuple[float, float]] = {}
    for row in published_lesions():
        own = engine_value(row)
        liver = engine_value(row, damage=DEFAULT_DAMAGE_MODEL)
        errors[row.id] = (relative_error(own, row), relative_error(liver, row))
        inside_own += within(own, row)
        inside_liver += within(liver, row)

        def verdict(value: float, row: PublishedLesion = row) -> str:
            error = relative_error(value, row)
            return "inside" if within(value, row) else f"{error:+.0f} %"

        lines.append(
            f"| {row.id} ({row.quantity}, {row.engine_tissue}) | "
            f"{_published(row.published_low, row.published_high)} | {own:.2f} | {verdict(own)} | "
            f"{liver:.2f} | {verdict(liver)} | {row.stand_in} | "
            f"{row.source.split('(')[0].strip()} ({row.evidence}) |"
        )
    return lines, inside_own, inside_liver, errors


def temperature_for_seconds(model: ArrheniusModel, seconds: float) -> float:
    """The constant temperature (C) at which ``model`` reaches Omega = 1 in ``seconds``."""
    temperature_k = model.activation_energy_j_per_mol / (
        GAS_CONSTANT_J_PER_MOL_K * math.log(model.frequency_factor_per_s * seconds)
    )
    return temperature_k - KELVIN_OFFSET


def perfusion_sweep() -> tuple[list[str], list[tuple[float, float]]]:
    """Width of the canonical in-vivo lesion as perfusion is scaled up."""
    muscle = TISSUES["muscle-in-vivo"]
    gauge, tip, temp, seconds = SETTINGS[0]
    bench = _run("chicken-breast-ex-vivo", gauge, tip, temp, seconds).boundaries["arrhenius"]
    lines = [
        "| perfusion (x IT'IS muscle) | w_b (1/s) | width (mm) | vs bench |",
        "|---|---|---|---|",
    ]
    points: list[tuple[float, float]] = []
    for factor in (0.0, 1.0, 3.0, 10.0, 30.0):
        tissue = muscle.model_copy(
            update={"perfusion_rate_per_s": muscle.perfusion_rate_per_s * factor}
        )
        width = (
            _run(tissue, gauge, tip, temp, seconds, damage=muscle.damage)
            .boundaries["arrhenius"]
            .width_mm
        )
        points.append((factor, width))
        lines.append(
            f"| {factor:g} | {tissue.perfusion_rate_per_s:.2g} | {width:.2f} | "
            f"{100 * (width / bench.width_mm - 1):+.0f} % |"
        )
    lines.append(f"| bench (chicken, 21 C) | 0 | {bench.width_mm:.2f} | 0 % |")
    return lines, points


def _run(
    tissue: object, gauge: int, tip: float, temp: float, seconds: float, **extra: object
) -> LesionResult:
    return simulate(
        LesionProtocol.model_validate(
            {
                "tissue": tissue,
                "gauge": gauge,
                "tip_length_mm": tip,
                "set_temperature_c": temp,
                "duration_s": seconds,
                **extra,
            }
        )
    )


def decomposition() -> tuple[list[str], dict[str, list[float]], list[str]]:
    """Widths for the steps bench -> warm -> perfused -> stasis, and the nerve boundary."""
    muscle = TISSUES["muscle-in-vivo"]
    constant = muscle.model_copy(update={"perfusion_model": "constant"})
    steps: list[tuple[str, object, dict[str, object]]] = [
        ("bench: chicken 21 C, no perfusion", "chicken-breast-ex-vivo", {}),
        ("start at 37 C, no perfusion", "muscle-ex-vivo", {}),
        ("37 C + constant perfusion", constant, {"damage": muscle.damage}),
        ("37 C + perfusion stopping with Omega (in vivo)", "muscle-in-vivo", {}),
        (
            "in vivo, nerve-function boundary",
            "muscle-in-vivo",
            {"damage": NERVE_FUNCTION_DAMAGE_MODEL},
        ),
    ]
    labels = [f"{g} G / {tip:g} mm / {temp:g} C / {s:g} s" for g, tip, temp, s in SETTINGS]
    lines = [
        "| step | " + " | ".join(labels) + " |",
        "|---|" + "---|" * len(labels),
    ]
    widths: dict[str, list[float]] = {}
    perfusion_j: list[str] = []
    for name, tissue, extra in steps:
        row = []
        for gauge, tip, temp, seconds in SETTINGS:
            result = _run(tissue, gauge, tip, temp, seconds, **extra)
            width = result.boundaries["arrhenius"].width_mm
            row.append(width)
            if name.startswith("37 C + perfusion stopping"):
                lost = result.diagnostics.get("perfusion_loss_j", float("nan"))
                perfusion_j.append(f"{lost:.1f} of {result.energy_j:.0f} J")
            widths.setdefault(name, []).append(width)
        lines.append(
            f"| {name} | "
            + " | ".join(
                f"W {w:.2f}, radial {radial_beyond_metal_mm(w, g):.2f}"
                for w, (g, *_rest) in zip(row, SETTINGS, strict=True)
            )
            + " |"
        )
    return lines, widths, perfusion_j


def damage_figure(path: Path) -> None:
    temperatures = np.linspace(40.0, 90.0, 201)
    figure, axes = plt.subplots(figsize=(7.0, 4.2))
    for key, model in DAMAGE_MODELS.items():
        if key == "muscle":
            continue  # same parameters as the liver set; labelled there
        label = "liver / muscle (Jacques set)" if key == "liver" else model.name
        times = np.array([model.time_to_omega_one_s(float(t)) for t in temperatures])
        if key == "nerve-function":  # fitted on 43-45 C; dashed where extrapolated
            fitted = temperatures <= 45.0
            (line,) = axes.semilogy(temperatures[fitted], times[fitted], label=label)
            axes.semilogy(
                temperatures[~fitted], times[~fitted], "--", color=line.get_color(),
                label="  extrapolated above 45 C",
            )  # fmt: skip
            continue
        axes.semilogy(temperatures, times, label=label)
    axes.semilogy(
        [t for t, _ in WONDERGEM_1988_EXPOSURES],
        [s for _, s in WONDERGEM_1988_EXPOSURES],
        "ko",
        label="Wondergem 1988, rat sciatic (50 % function loss)",
    )
    axes.axhline(90.0, color="grey", linestyle=":", label="90 s lesion")
    axes.set_xlabel("constant temperature (C)")
    axes.set_ylabel("time to Omega = 1 (s)")
    axes.set_ylim(1e-2, 1e6)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    axes.set_title("Damage model per tissue: exposure that makes a lesion")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def in_vivo_figure(path: Path, widths: dict[str, list[float]]) -> None:
    figure, (left, right) = plt.subplots(1, 2, figsize=(11.0, 4.2))
    names = list(widths)
    x = np.arange(len(SETTINGS))
    bar = 0.8 / len(names)
    for index, name in enumerate(names):
        left.bar(x + (index - (len(names) - 1) / 2) * bar, widths[name], bar, label=name)
    left.set_xticks(
        x, [f"{g} G / {tip:g} mm\n{temp:g} C / {s:g} s" for g, tip, temp, s in SETTINGS]
    )
    left.set_ylabel("lesion width (mm, metal included)")
    left.legend(fontsize=7)
    left.set_title("Bench -> in vivo, one change at a time")
    gauge, tip, temp, seconds = SETTINGS[0]
    for tissue, style in (
        ("chicken-breast-ex-vivo", "-"),
        ("muscle-ex-vivo", "--"),
        ("muscle-in-vivo", "-."),
    ):
        result = _run(tissue, gauge, tip, temp, seconds)
        z_index = int(np.argmin(np.abs(result.grid.z_centres_m + tip * 5e-4)))
        r_mm = result.grid.r_centres_m * 1e3
        keep = (r_mm <= 10.0) & ~result.metal[:, z_index]  # tissue only
        right.plot(r_mm[keep], result.peak_temperature_c[keep, z_index], style, label=tissue)
    muscle_c = temperature_for_seconds(TISSUES["muscle-in-vivo"].damage, seconds)
    nerve_c = temperature_for_seconds(NERVE_FUNCTION_DAMAGE_MODEL, seconds)
    right.axhline(
        muscle_c,
        color="grey",
        linestyle=":",
        label=f"{muscle_c:.1f} C: muscle coagulates in {seconds:g} s",
    )
    right.axhline(
        nerve_c,
        color="k",
        linestyle=":",
        label=f"{nerve_c:.1f} C: nerve function lost in {seconds:g} s",
    )
    right.set_xlabel("distance from the axis at the tip's middle (mm)")
    right.set_ylabel("peak temperature (C)")
    right.set_title(f"{gauge} G / {tip:g} mm / {temp:g} C / {seconds:g} s")
    right.legend(fontsize=7)
    right.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def section() -> str:
    muscle = TISSUES["muscle-in-vivo"]
    length_mm = 1e3 * math.sqrt(
        muscle.thermal_conductivity_w_per_m_k / muscle.perfusion_coefficient_w_per_m3_k
    )
    comparison, inside_own, inside_liver, errors = comparison_table()
    total = len(published_lesions())
    steps, widths, perfusion_j = decomposition()
    sweep, sweep_points = perfusion_sweep()
    bench_w = widths["bench: chicken 21 C, no perfusion"][0]
    needed = [factor for factor, width in sweep_points if width <= bench_w]
    needed_text = (
        f"about {needed[0]:g}x the IT'IS value"
        if needed
        else f"more than {sweep_points[-1][0]:g}x the IT'IS value"
    )
    warm_w = widths["start at 37 C, no perfusion"]
    kept_w = widths["37 C + constant perfusion"]
    stasis_w = widths["37 C + perfusion stopping with Omega (in vivo)"]
    narrowing = ", ".join(f"{w - k:.2f}" for w, k in zip(warm_w, kept_w, strict=True))
    widening = ", ".join(f"{s - k:.2f}" for s, k in zip(stasis_w, kept_w, strict=True))
    start_bench = TISSUES["chicken-breast-ex-vivo"].initial_temperature_c
    start_body = TISSUES["muscle-in-vivo"].initial_temperature_c
    muscle_90 = temperature_for_seconds(TISSUES["muscle-in-vivo"].damage, 90.0)
    nerve_90 = temperature_for_seconds(NERVE_FUNCTION_DAMAGE_MODEL, 90.0)
    albumen_90 = temperature_for_seconds(TISSUES["egg-white"].damage, 90.0)
    kissinger_c = TISSUES["egg-white"].damage.dsc_peak_temperature_c(10.0)
    muscle_dsc = [TISSUES["muscle-in-vivo"].damage.dsc_peak_temperature_c(b) for b in (5.0, 10.0)]
    damage_figure(DOCS / "img" / "tissue_damage_models.png")
    in_vivo_figure(DOCS / "img" / "tissue_in_vivo_vs_bench.png", widths)
    lines = [
        START,
        "",
        "## Damage per tissue",
        "",
        "Generated by `scripts/make_validation_tissue.py`; do not edit by hand. Each tissue",
        "carries its own Arrhenius damage model (Omega = integral A exp(-Ea / R T) dt, lesion",
        "where Omega >= 1) and names the lesion edge its published measurements used; an",
        "explicit `LesionProtocol(damage=...)` overrides it. Sources and evidence levels are",
        "in `src/rhizo/physics/damage.py` and `tissue.py`.",
        "",
        *damage_table(),
        "",
        "![time to Omega = 1 per damage model](img/tissue_damage_models.png)",
        "",
        "- **Egg white**: albumen coagulation (Yang, Welch & Rylander 1991, *recalled*: the",
        "  parameters were not found in the stored sources). A 90 s exposure coagulates it at",
        f"  {albumen_90:.1f} C, against {muscle_90:.1f} C for muscle whitening and"
        f" {nerve_90:.1f} C for nerve",
        "  function. Cross-check from read data: for a first-order",
        "  process heated at 10 K/min the model's rate peaks (Kissinger) at "
        f"{kissinger_c:.0f} C, below the",
        "  ovalbumin DSC peak near 80 C (Biosci Biotechnol Biochem 2002) and above egg white's",
        "  ~62 C setting point, i.e. between the two proteins that turn egg white opaque.",
        "  Searched again on 2026-12-01 (docs, pages and code corpora: the paper, its A and Ea,",
        "  other published egg-white coagulation fits): not found, so the set stays *recalled*.",
        "  What would verify it: the Yang 1991 paper's table (Lasers Surg Med 1991;11:188-90),",
        "  or any isothermal series of egg-white whitening times at two or more temperatures,",
        "  which `ArrheniusModel.fit` turns into A and Ea directly (as for the nerve below).",
        "- **Nerve**: a least-squares Arrhenius fit to the three in-vivo exposures of",
        "  Wondergem 1988 (rat sciatic, 50 % loss of toe spreading after 58 / 32 / 12 min at",
        "  43 / 44 / 45 C; abstract read). Ea = 659 kJ/mol is typical of cell-kill kinetics",
        "  near 43-45 C; above 45 C it is extrapolated (no nerve time-temperature data were",
        "  found), and the loss it describes recovered within 4 weeks, so its boundary is the",
        "  outer bound of *reversible* loss of function, not of permanent denervation.",
        "- **Muscle (chicken breast, muscle in vivo)**: no muscle-specific set could be",
        "  verified (COMSOL's bioheat library lists muscle without one), so the Jacques liver",
        "  set stands in (*secondary*), chosen because it reproduces the 50 C / 1 min border",
        "  that bench photographs of cooked muscle mark (Cosman 2014's photographic edge).",
        "  Bench lesions are therefore unchanged. Cross-check from read data: heated at 5-10",
        f"  K/min the set's rate peaks (Kissinger) at {muscle_dsc[0]:.1f}-{muscle_dsc[1]:.1f} C,"
        " bracketing the 53 C myofibrillar",
        "  (myosin) DSC peak of chicken breast (Murphy, Marks & Marcy 1998, J Food Sci,",
        "  abstract: peaks at 53, 70 and 79 C), the protein whose denaturation turns the meat",
        "  opaque.",
        "- **Fat**: COMSOL's bioheat library set (A = 4.43e16 1/s, Ea = 130 kJ/mol, read in",
        "  the library's table; its primary reference not read): fat barely coagulates at RF",
        "  temperatures (Omega = 1 after ~2 min even at 90 C).",
        "",
        "Catalogue:",
        "",
        *tissue_table(),
        "",
        f"Every row of the published sizes the engine can represent ({total} rows in",
        "`src/rhizo/physics/tissues/published_lesions.csv`, copied from the research notes",
        "with their sources). 'Error' is against the nearer edge of the published range;",
        f"'inside' means within it. Inside: {inside_own} of {total} with each tissue's own",
        f"model, {inside_liver} of {total} with the former single liver rule; median |error|",
        f"{np.median([abs(own) for own, _ in errors.values()]):.0f} % against"
        f" {np.median([abs(liver) for _, liver in errors.values()]):.0f} %, largest"
        f" {max(abs(own) for own, _ in errors.values()):.0f} % against"
        f" {max(abs(liver) for _, liver in errors.values()):.0f} %.",
        "",
        *comparison,
        "",
        "Reading the table:",
        "",
        "- Egg white: the albumen model cuts the error on Bogduk's radius from "
        f"{errors['bogduk1987_radius'][1]:+.0f} % to {errors['bogduk1987_radius'][0]:+.0f} %",
        f"  and on the Tew radial extent from {errors['tew2015_radial'][1]:+.0f} % to "
        f"{errors['tew2015_radial'][0]:+.0f} % (a straight 22 G",
        "  cannula stands in for the thinner, curved Tew electrode, so part of the rest is",
        "  geometry).",
        "- Distal extension in egg white is still too long ("
        f"{errors['tew2015_distal'][0]:+.0f} % against Tew's 0.39 mm,",
        f"  {errors['bogduk1987_distal'][0]:+.0f} % against Bogduk's 'none'): the engine's"
        " hemispherical tip heats ahead of the metal.",
        "- The clinical radius of Cohen 2011 (1.1-2.2 mm, review sentence) is missed by "
        f"{errors['cohen2011_small'][0]:+.0f} %",
        f"  and {errors['cohen2011_large'][0]:+.0f} % in living muscle (the bench misses it too);"
        " the definition",
        "  of that radius is not stated and its reference was not read.",
        "- Liver (Goldberg's <= 16 mm): inside at 6 min "
        f"({errors['goldberg1995_diameter'][0]:+.0f} %), over at 10 min"
        f" ({errors['goldberg1995_diameter_10min'][0]:+.0f} %).",
        "- Chicken volume of PubMed 32214295: the engine is "
        f"{errors['pubmed32214295_volume'][0]:+.0f} % over",
        "  a volume measured *with* injected lidocaine, which enlarges real lesions: either the",
        "  unreported tip was shorter than the 10 mm stand-in or the engine's muscle lesion is",
        "  too long or wide.",
        "- The rat CMAP bracket is met by the nerve-function boundary, but also by the muscle",
        "  coagulation boundary: it does not discriminate between the two models.",
        "- Rows of the research notes left out, and why: bipolar pairs (Wondra 2024; Lee 2010,",
        "  two electrodes), cooled and three-tined probes (Avanos 2024; Cobbs 2023, no lengths",
        "  in the abstract), no numbers in the abstract (Provenzano 2010; Smith 1981, fibre",
        "  counts only), manufacturer charts stored as images (NeuroTherm NT1100).",
        "- Cosman's temperature and gauge trends belong to the engine sections above; they",
        "  do not depend on the damage model for muscle (unchanged).",
        "",
        "## In-vivo vs bench",
        "",
        "Living tissue starts at 37 C and is perfused (Pennes term w_b rho_b c_b (T - T_a)),",
        "and perfusion stops as tissue coagulates: w_b exp(-Omega) (vascular stasis, Chang &",
        "Nguyen 2004; the 'standard' model of Schutt & Haemmerich 2008), implemented by",
        "`Tissue.perfusion_fraction`. The muscle perfusion"
        f" {TISSUES['muscle-in-vivo'].perfusion_rate_per_s:.3e} 1/s is the IT'IS database's"
        f" heat transfer rate {ITIS_MUSCLE_PERFUSION_ML_PER_MIN_KG:.4g} mL/min/kg (V4.2 row",
        "'Muscle', read in a third-party copy of the table: *secondary*; it replaced a recalled",
        "6.7e-4 1/s, -0.4 %); fat"
        f" {TISSUES['fat-in-vivo'].perfusion_rate_per_s:.3e} 1/s"
        f" ({ITIS_FAT_PERFUSION_ML_PER_MIN_KG:g} mL/min/kg, v4.1 as quoted, secondary).",
        "One change at a time (width W and radial extent beyond the metal, mm):",
        "",
        *steps,
        "",
        "![bench vs in vivo](img/tissue_in_vivo_vs_bench.png)",
        "",
        "Why the in-vivo lesion is *larger* than the bench one:",
        "",
        f"- **Start temperature** dominates: tissue at {start_body:g} C needs"
        f" {muscle_90 - start_body:.0f} K instead of {muscle_90 - start_bench:.0f} K",
        f"  to reach the {muscle_90:.0f} C that whitens muscle in 90 s, so the same tip"
        " temperature reaches further (step 1 -> 2).",
        f"- **Perfusion** is a weak sink at this scale: the perfusion length sqrt(k / W) = "
        f"{length_mm:.0f} mm",
        "  is several lesion radii, and perfusion carries away only "
        + ", ".join(perfusion_j)
        + " delivered (per setting, in order)",
        f"  over the run; step 2 -> 3 narrows the lesion by {narrowing} mm.",
        "- **Perfusion stopping** in the coagulum gives part of that back (step 3 -> 4:"
        f" {widening} mm).",
        "- **Damage model**: nerve function (reversibly) fails further out than muscle",
        f"  coagulates: the nerve fit needs {nerve_90:.1f} C for 90 s, muscle {muscle_90:.1f} C"
        " (step 5).",
        "",
        "How much perfusion would make the living lesion as small as the bench one",
        f"(18 G / 10 mm / 80 C / 90 s): {needed_text}.",
        "",
        *sweep,
        "",
        "In-vivo checks (tests/physics/test_in_vivo.py): the nerve-function boundary of an",
        "18 G / 10 mm / 80 C / 90 s lesion in living muscle reaches 4 mm but not 6 mm from",
        "the axis, as the rat CMAP study found (lost at 2 and 4 mm, kept at 6 mm; electrode",
        "and temperature not given, so the canonical setting stands in). The clinical default",
        "of the planner (`rhizo capture`, `rhizo recommend`, the web planner) is",
        "`muscle-in-vivo`, and every output names the tissue and its lesion edge.",
        "",
        "Not modelled or not validated: no in-vivo measurement of a *coagulation* size at",
        "pain-cannula scale was found (Song 2015 and Huang 2012 are internally cooled",
        "tumour-scale electrodes); bone beside the nerve; nerve as a separate medium (its",
        "500 kHz conductivity was not found).",
        "",
        END,
    ]
    return "\n".join(lines)


def splice(path: Path, block: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        _old, tail = rest.split(END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    block = section()
    splice(DOCS / "validation.md", block)
    print(block)


if __name__ == "__main__":
    main()

"""``rhizo`` commands of the pathway layer: screen, premed, compare, aftercare, faq, score.

Each command prints plain text (or JSON with ``--json``) and always carries the
decision-support notice. Bad input becomes one line naming the option, the
value and what is allowed (exit code 2), via :mod:`rhizo.cli._errors`.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError

from rhizo import DISCLAIMER
from rhizo.cli._errors import fail, fail_from_validation
from rhizo.cli._files import read_structured

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _emit_json(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps({**payload, "disclaimer": DISCLAIMER}, indent=2, default=str))


def _dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _read_structured(argument: str, path: Path) -> Any:
    """Read a YAML or JSON file (JSON is YAML) within bounds, failing with one line."""
    return read_structured(argument, path)


def _parse_date(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(option, value, "a date as YYYY-MM-DD")


def screen(
    patient_file: Annotated[Path, typer.Argument(metavar="PATIENT.yaml", help="Patient facts.")],
    policy: Annotated[
        str | None,
        typer.Option(
            help="asra-2020 | dual-block-80 | cervical-2022 (default: the guideline of the "
            "patient's region: lumbar asra-2020, cervical cervical-2022, thoracic none)"
        ),
    ] = None,
    today: Annotated[
        str | None, typer.Option(help="Date for 12-month session limits (YYYY-MM-DD).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Screen a patient for medial-branch RF under the guideline of their region."""
    from rhizo.pathway.candidacy import CandidacyInput, ScreeningInputError, screen_candidacy
    from rhizo.pathway.policies import POLICIES

    if policy is not None and policy not in POLICIES:
        fail("--policy", policy, f"one of: {', '.join(POLICIES)}")
    raw = _read_structured("PATIENT.yaml", patient_file)
    if not isinstance(raw, dict):
        fail("PATIENT.yaml", str(patient_file), "a mapping of patient fields")
    try:
        patient = CandidacyInput.model_validate(raw)
    except ValidationError as error:
        fail_from_validation(error, {})
    when = _parse_date("--today", today) if today else None
    try:
        result = screen_candidacy(patient, policy=policy, today=when)
    except ScreeningInputError as error:
        option = "--policy" if error.field == "policy" else error.field
        fail(option, error.value, error.allowed)
    if as_json:
        _emit_json(_dump(result))
        return
    if result.policy is None:
        typer.echo(f"policy: none (no guideline policy covers the {result.region.value} region)")
    else:
        chosen = POLICIES[result.policy]
        region = result.region.value
        how = f", the guideline for the {region} region" if result.policy_from_region else ""
        typer.echo(f"policy: {chosen.id} ({chosen.title}{how})")
        thresholds = {
            "pain duration": chosen.pain_duration,
            "conservative care": chosen.conservative_care,
            "diagnostic blocks": chosen.diagnostic_blocks,
            "repeat": chosen.repeat,
            "session limit": chosen.max_sessions_per_12_months,
        }
        levels = "; ".join(
            f"{name}: {rule.source.evidence_label}"
            for name, rule in thresholds.items()
            if rule is not None
        )
        verdict_word = "all verified" if chosen.verified else "NOT all verified"
        typer.echo(f"  evidence of its thresholds ({verdict_word}): {levels}")
    typer.echo(f"verdict: {result.verdict.value}")
    for reason in result.reasons:
        typer.echo(f"- [{reason.effect}] {reason.message}")
        typer.echo(f"    source: {reason.source}")
    typer.echo(DISCLAIMER)


def premed(
    procedure: Annotated[str, typer.Option(help="Procedure id, e.g. lumbar-facet-rf.")],
    procedure_date: Annotated[str, typer.Option("--date", help="Procedure date, YYYY-MM-DD.")],
    drug: Annotated[
        list[str] | None, typer.Option("--drug", help="A drug the patient takes (repeatable).")
    ] = None,
    sedation: Annotated[bool, typer.Option(help="Sedation is planned (adds fasting).")] = False,
    diabetes: Annotated[bool, typer.Option(help="The patient has diabetes.")] = False,
    implanted_device: Annotated[bool, typer.Option(help="Implanted electrical device.")] = False,
    risk_factor: Annotated[
        list[str] | None,
        typer.Option("--risk-factor", help="Patient factor raising bleeding risk (repeatable)."),
    ] = None,
    aspirin_indication: Annotated[
        str | None,
        typer.Option(help="Why aspirin is taken: primary | secondary (prevention)."),
    ] = None,
    egfr: Annotated[
        str | None, typer.Option(metavar="ML_PER_MIN", help="eGFR, mL/min/1.73 m2 (0-250).")
    ] = None,
    inr: Annotated[str | None, typer.Option(help="Latest INR (0.5-20).")] = None,
    stent_months: Annotated[
        str | None, typer.Option(metavar="N", help="Months since a coronary stent (0-600).")
    ] = None,
    dual_antiplatelet: Annotated[
        bool, typer.Option(help="The patient is on dual antiplatelet therapy.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Pre-procedure plan: bleeding-risk category, drug holds and preparation."""
    from rhizo.cli._premed_inputs import parse_indication, parse_number
    from rhizo.pathway.premed import RiskFactor, known_drugs, plan_premedication, procedures
    from rhizo.pathway.premed_inputs import PremedInputError

    known_procedures = procedures()
    if procedure not in known_procedures:
        fail("--procedure", procedure, f"one of: {', '.join(known_procedures)}")
    on = _parse_date("--date", procedure_date)
    drugs = drug or []
    names = {name.lower() for name in known_drugs()}
    for name in drugs:
        if name.strip().lower() not in names:
            fail("--drug", name, f"one of: {', '.join(known_drugs())}")
    factors: list[RiskFactor] = []
    for factor in risk_factor or []:
        try:
            factors.append(RiskFactor(factor))
        except ValueError:
            fail("--risk-factor", factor, f"one of: {', '.join(f.value for f in RiskFactor)}")
    indication = parse_indication(aspirin_indication)
    egfr_value = parse_number("--egfr", egfr)
    inr_value = parse_number("--inr", inr)
    stent_value = parse_number("--stent-months", stent_months)
    try:
        plan = plan_premedication(
            procedure=procedure,
            procedure_date=on,
            drugs=drugs,
            sedation=sedation,
            diabetes=diabetes,
            implanted_device=implanted_device,
            risk_factors=factors,
            aspirin_indication=indication,
            egfr_ml_per_min=egfr_value,
            inr=inr_value,
            stent_months=stent_value,
            dual_antiplatelet=dual_antiplatelet,
        )
    except PremedInputError as error:
        fail("--risk-factor", error.value, error.allowed)
    if as_json:
        _emit_json(_dump(plan))
        return
    typer.echo(f"{plan.procedure_label} on {plan.procedure_date.isoformat()}")
    typer.echo(f"bleeding-risk category: {plan.risk_category.value}")
    typer.echo(f"  source: {plan.risk_source}")
    for warning in plan.warnings:
        typer.echo(f"! {warning.topic}: {warning.text}")
        typer.echo(f"    source: {warning.source}")
    for hold in plan.holds:
        when = f", last dose {hold.last_dose_date.isoformat()}" if hold.last_dose_date else ""
        restart = (
            f", restart after {hold.restart_after_hours} h" if hold.restart_after_hours else ""
        )
        typer.echo(f"- {hold.drug}: hold {hold.hold}{when}{restart}")
        typer.echo(f"    {hold.note}")
        typer.echo(f"    source: {hold.source}")
        for extra in hold.input_sources:
            typer.echo(f"    source: {extra}")
    for instruction in plan.instructions:
        typer.echo(f"* {instruction.topic}: {instruction.text}")
        typer.echo(f"    source: {instruction.source}")
    typer.echo(DISCLAIMER)


def compare(as_json: JsonFlag = False) -> None:
    """Compare RF ablation, surgical rhizotomy, blocks and injections."""
    from rhizo.pathway.techniques import compare_techniques

    comparison = compare_techniques()
    if as_json:
        _emit_json(_dump(comparison))
        return
    for technique in comparison.techniques:
        typer.echo(f"== {technique.name}")
        for label, value in (
            ("mechanism", technique.mechanism),
            ("invasiveness", technique.invasiveness),
            ("anaesthesia and setting", technique.anaesthesia_setting),
            ("relief", technique.relief),
            ("repeatable", technique.repeatability),
            ("main risks", technique.main_risks),
        ):
            typer.echo(f"  {label}: {value}")
        typer.echo(f"  source: {technique.source}")
    typer.echo("== Surgical rhizotomy versus RF ablation")
    for difference in comparison.rhizotomy_vs_rfa:
        typer.echo(f"- {difference.text}")
        typer.echo(f"    source: {difference.source}")
    typer.echo(DISCLAIMER)


RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region", help="Region treated: cervical | thoracic | lumbar (words the texts for it)."
    ),
]


def _parse_region(value: str | None) -> Any:
    """The ``--region`` value as a FacetRegion (None when not given), or exit 2."""
    from rhizo.pathway.policies import FacetRegion

    if value is None:
        return None
    try:
        return FacetRegion(value.strip().lower())
    except ValueError:
        fail("--region", value, f"one of: {', '.join(r.value for r in FacetRegion)}")


def _restart_holds(drugs: list[str], procedure: str | None, region: Any, when: Any) -> list[Any]:
    """The pre-procedure holds of ``drugs`` (for their restart times), or exit 2."""
    from rhizo.pathway.premed import known_drugs, plan_premedication, procedures

    if not drugs:
        return []
    chosen = procedure or f"{region.value if region else 'lumbar'}-facet-rf"
    if chosen not in procedures():
        fail("--procedure", chosen, f"one of: {', '.join(procedures())}")
    names = {name.lower() for name in known_drugs()}
    for name in drugs:
        if name.strip().lower() not in names:
            fail("--drug", name, f"one of: {', '.join(known_drugs())}")
    plan = plan_premedication(procedure=chosen, procedure_date=when or date.today(), drugs=drugs)
    return list(plan.holds)


def aftercare(
    sedation: Annotated[bool, typer.Option(help="Sedation was given.")] = False,
    procedure_date: Annotated[
        str | None, typer.Option("--date", help="Procedure date (adds follow-up dates).")
    ] = None,
    patient_name: Annotated[str | None, typer.Option("--name", help="Patient's name.")] = None,
    region: RegionOption = None,
    drug: Annotated[
        list[str] | None,
        typer.Option(
            "--drug", help="A medicine the patient takes: when to restart it (repeatable)."
        ),
    ] = None,
    procedure: Annotated[
        str | None,
        typer.Option(help="Procedure id for the restart times (default: the region's facet RF)."),
    ] = None,
    output_format: Annotated[
        str, typer.Option("--format", help="text | markdown | html")
    ] = "markdown",
    output: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Discharge criteria and the aftercare plan, as plain text, Markdown or HTML.

    Plain text has no markup and lists the sources once, numbered, at the end;
    Markdown, HTML and JSON give each item's full source.
    """
    from rhizo.pathway.aftercare import plan_aftercare, render_html, render_markdown, render_text

    renderers = {"markdown": render_markdown, "text": render_text, "html": render_html}
    if output_format not in renderers:
        fail("--format", output_format, "one of: text, markdown, html")
    when = _parse_date("--date", procedure_date) if procedure_date else None
    treated = _parse_region(region)
    holds = _restart_holds(drug or [], procedure, treated, when)
    plan = plan_aftercare(
        procedure_date=when,
        sedation=sedation,
        patient_name=patient_name,
        region=treated,
        holds=holds,
    )
    if as_json:
        _emit_json(_dump(plan))
        return
    rendered = renderers[output_format](plan)
    if output is None:
        typer.echo(rendered)
        return
    try:
        output.write_text(rendered, encoding="utf-8")
    except OSError as error:
        fail("--output", str(output), f"a writable path ({error.strerror})")
    typer.echo(f"wrote {output}")
    typer.echo(DISCLAIMER)


def faq_command(
    glossary_only: Annotated[bool, typer.Option("--glossary", help="Only the glossary.")] = False,
    region: RegionOption = None,
    as_json: JsonFlag = False,
) -> None:
    """The procedure step by step, patients' questions answered, and a glossary."""
    from rhizo.pathway.education import faq, glossary, procedure_steps

    treated = _parse_region(region)
    steps, questions, terms = procedure_steps(treated), faq(treated), glossary()
    if as_json:
        payload: dict[str, Any] = {"glossary": [_dump(t) for t in terms]}
        if not glossary_only:
            payload["steps"] = [_dump(s) for s in steps]
            payload["faq"] = [_dump(q) for q in questions]
        _emit_json(payload)
        return
    if not glossary_only:
        typer.echo("The procedure, step by step")
        for number, step in enumerate(steps, start=1):
            typer.echo(f"{number}. {step.text}")
            typer.echo(f"     source: {step.source}")
        typer.echo("")
        typer.echo("Questions and answers")
        for item in questions:
            typer.echo(f"Q: {item.question}")
            typer.echo(f"A: {item.answer}")
            typer.echo(f"   source: {item.source}")
        typer.echo("")
    typer.echo("Glossary")
    for term in terms:
        typer.echo(f"- {term.term}: {term.definition}")
        typer.echo(f"    source: {term.source}")
    typer.echo(DISCLAIMER)


LEARN_TOPICS = ("all", "steps", "faq", "glossary", "choosing-a-specialist")


def learn(
    topic: Annotated[
        str, typer.Argument(help="all | steps | faq | glossary | choosing-a-specialist")
    ] = "all",
    region: RegionOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Patient education in plain words: the steps, questions, glossary, choosing a specialist.

    Text has no markup; the sources are listed once, numbered, at the end
    (JSON gives each item's full source and evidence level).
    """
    from rhizo.pathway.education import choosing_a_specialist, faq, glossary, procedure_steps
    from rhizo.pathway.numbered import NumberedSources

    if topic not in LEARN_TOPICS:
        fail("TOPIC", topic, f"one of: {', '.join(LEARN_TOPICS)}")
    treated = _parse_region(region)
    wanted = set(LEARN_TOPICS[1:]) if topic == "all" else {topic}
    steps = procedure_steps(treated) if "steps" in wanted else []
    questions = faq(treated) if "faq" in wanted else []
    terms = glossary() if "glossary" in wanted else []
    advice = choosing_a_specialist() if "choosing-a-specialist" in wanted else []
    if as_json:
        payload: dict[str, Any] = {"region": treated.value if treated else None}
        if "steps" in wanted:
            payload["steps"] = [_dump(s) for s in steps]
        if "faq" in wanted:
            payload["faq"] = [_dump(q) for q in questions]
        if "glossary" in wanted:
            payload["glossary"] = [_dump(t) for t in terms]
        if "choosing-a-specialist" in wanted:
            payload["choosing_a_specialist"] = [_dump(a) for a in advice]
        _emit_json(payload)
        return
    sources = NumberedSources()
    lines: list[str] = []
    if steps:
        lines += ["The procedure, step by step"]
        lines += [f"{n}. {s.text} {sources.mark(s.source)}" for n, s in enumerate(steps, 1)]
        lines.append("")
    if questions:
        lines.append("Questions and answers")
        for item in questions:
            lines += [f"Q: {item.question}", f"A: {item.answer} {sources.mark(item.source)}"]
        lines.append("")
    if terms:
        lines.append("Glossary")
        lines += [f"- {t.term}: {t.definition} {sources.mark(t.source)}" for t in terms]
        lines.append("")
    if advice:
        lines.append("Choosing a specialist")
        for group in advice:
            lines.append(f"{group.heading}:")
            lines += [f"- {p.text} {sources.mark(p.source)}" for p in group.points]
        lines.append("")
    lines += [*sources.lines(), "", DISCLAIMER]
    typer.echo("\n".join(lines))


score_app = typer.Typer(
    name="score",
    help="Score outcome measures: NRS pain change, ODI v2.1a, PGIC.",
    no_args_is_help=True,
)


@score_app.command("nrs")
def score_nrs_command(
    baseline: Annotated[int, typer.Option(help="Pain 0-10 before treatment.")],
    now: Annotated[int, typer.Option(help="Pain 0-10 now.")],
    as_json: JsonFlag = False,
) -> None:
    """Change in 0-10 pain: points, percent relief, MCID, IMMPACT band."""
    from rhizo.pathway.outcomes import score_nrs

    for option, value in (("--baseline", baseline), ("--now", now)):
        if not 0 <= value <= 10:
            fail(option, value, "an integer from 0 to 10")
    result = score_nrs(baseline=baseline, now=now)
    if as_json:
        _emit_json(_dump(result))
        return
    relief = "n/a" if result.percent_relief is None else f"{result.percent_relief:g} %"
    typer.echo(f"NRS (LOINC {result.loinc}): {result.baseline} -> {result.now}")
    typer.echo(f"change: {result.change_points} points, relief {relief}")
    typer.echo(f"clinically important (>= 30 % of baseline): {result.clinically_important}")
    typer.echo(f"IMMPACT band: {result.immpact_band or 'n/a'}")
    for source in result.sources:
        typer.echo(f"  source: {source}")
    typer.echo(DISCLAIMER)


@score_app.command("odi")
def score_odi_command(
    answers_file: Annotated[
        Path, typer.Argument(metavar="ANSWERS.json", help="Ten items 0-5, null for missing.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Oswestry Disability Index v2.1a (one missing item allowed)."""
    from rhizo.pathway.outcomes import score_odi

    raw = _read_structured("ANSWERS.json", answers_file)
    if isinstance(raw, dict):
        raw = raw.get("answers")
    if not isinstance(raw, list):
        fail("ANSWERS.json", str(answers_file), 'a list of ten items (or {"answers": [...]})')
    try:
        result = score_odi(raw)
    except ValueError as error:
        fail("ANSWERS.json", raw, str(error))
    if as_json:
        _emit_json(_dump(result))
        return
    if result.score_percent is None:
        typer.echo(f"ODI: not scored ({result.message})")
    else:
        typer.echo(f"ODI: {result.score_percent:g} % ({result.band}; {result.message})")
    for source in result.sources:
        typer.echo(f"  source: {source}")
    typer.echo(DISCLAIMER)


@score_app.command("pgic")
def score_pgic_command(
    value: Annotated[int, typer.Argument(metavar="N", help="1 very much improved ... 7 worse.")],
    as_json: JsonFlag = False,
) -> None:
    """Patient Global Impression of Change (1-7)."""
    from rhizo.pathway.outcomes import score_pgic

    try:
        result = score_pgic(value)
    except ValueError:
        fail("N", value, "an integer from 1 (very much improved) to 7 (very much worse)")
    if as_json:
        _emit_json(_dump(result))
        return
    typer.echo(f"PGIC {result.value}: {result.label}")
    typer.echo(f"clinically important (much or very much improved): {result.clinically_important}")
    for source in result.sources:
        typer.echo(f"  source: {source}")
    typer.echo(DISCLAIMER)


def register(app: typer.Typer) -> None:
    """Add this layer's commands to the main app."""
    app.command("screen")(screen)
    app.command("premed")(premed)
    app.command("compare")(compare)
    app.command("aftercare")(aftercare)
    app.command("faq")(faq_command)
    app.command("learn")(learn)
    app.add_typer(score_app, name="score")

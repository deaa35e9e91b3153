"""``fama demo``: FAMA end to end on one machine, with the levers that move a small model, in minutes.

1. **Baseline on train decision points** (gold prefix → next action; no user simulator).
2. **Failure analysis with counterfactual credit.** Wrong decisions are diagnosed by rules
   (``decision_analysis``: acting before a lookup or confirmation → DPV, a wrong value from a tool
   output → WRCO, an invented tool or value → CM, talking or stopping instead of acting → IFU);
   then up to ``counterfactual_points`` failed points are asked again with each specialist the
   prior links to their categories, and the specialists that *flipped* a point to exact carry
   the profile's relation. The minimal subset is chosen on it.
3. **Compile on train.** The base agent and FAMA (the profile's subset) each get ``num_demos``
   labeled demonstrations taken from the train points' gold decisions (LabeledFewShot: a seeded
   set, no search, no LM call), saved as program files.
4. **Test decision points**, every configuration on the same points: the base, the base
   compiled, FAMA, FAMA compiled; then which lever produced which part of the difference
   (compilation, the meta layer, both), each with its paired 95 % interval, and the report.
   Solo episodes (``solo_domain``) are optional: they cost more than the rest together.

Rules instead of LLM judges, one seeded demo set instead of a search, few points: sizes are
what fits about 15 minutes on 2 cores with the 1.5B model; ``fama compile`` and ``fama bench``
run the same stages at full size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fama_dspy.analysis.profile import FailureProfile
from fama_dspy.decision_analysis import diagnose_decision_failures, linked_specialists

__all__ = ["DemoPlan", "DemoResult", "diagnose_decision_failures", "lever_rows", "run_demo"]


@dataclass
class DemoPlan:
    benchmark: str = "tau2"
    domain: str = "airline"
    base: str = "react"
    train_tasks: int | None = 4  # airline: 10 points from 3 tasks (the first train task has none)
    test_tasks: int | None = 2
    #: Failed train points re-asked per linked specialist (the counterfactual credit).
    counterfactual_points: int = 1
    num_demos: int = 3
    demo_seed: int = 0
    solo_domain: str | None = None
    solo_tasks: int | None = 2
    solo_max_steps: int = 10
    coverage_threshold: float = 0.8
    budget: int = 2
    concurrency: int = 4  # the embedded server's slot count
    decoding: str | None = None  # None: the library default (constrained)
    id_policy: str | None = None  # None: the library default (seen)

    def agent_settings(self) -> dict[str, str]:
        return {k: v for k, v in (("decoding", self.decoding), ("id_policy", self.id_policy)) if v}

    @classmethod
    def full(cls, **overrides: Any) -> DemoPlan:
        sizes = {"train_tasks": None, "test_tasks": None, "counterfactual_points": 12, "solo_tasks": None}
        return cls(**{**sizes, "solo_max_steps": 30, **overrides})


@dataclass
class DemoResult:
    profile_path: Path
    profile: FailureProfile
    reports: dict[str, Path] = field(default_factory=dict)
    train_accuracy: float | None = None
    programs: dict[str, Path] = field(default_factory=dict)
    levers: list[dict[str, Any]] = field(default_factory=list)


def run_demo(plan: DemoPlan, lm, out: Path, model: str, console: Console | None = None) -> DemoResult:
    import dspy

    from fama_dspy.bench import BenchPlan, parse_configs, run_bench
    from fama_dspy.benchmarks import get_benchmark
    from fama_dspy.configs import build_agent
    from fama_dspy.decision_analysis import counterfactual_profile
    from fama_dspy.decoding import decoding_label
    from fama_dspy.optimizers.dataset import decision_dataset, to_examples
    from fama_dspy.optimizers.demos import labeled_demos
    from fama_dspy.optimizers.program import save_program
    from fama_dspy.report.console import print_report
    from fama_dspy.results.decisions import evaluate_decisions, summarize_decisions

    console = console or Console()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    benchmark = get_benchmark(plan.benchmark)
    settings = plan.agent_settings()
    label = decoding_label(plan.decoding, plan.id_policy)

    console.rule(f"1/4 baseline '{plan.base}' on {plan.domain} train decision points")
    points = benchmark.decision_points(plan.domain, "train", num_tasks=plan.train_tasks)
    by_id = {p.id: p for p in points}
    with dspy.context(lm=lm):
        records = evaluate_decisions(
            build_agent(plan.base, **settings),
            points,
            out / "stage1-train",
            config_name=plan.base + label,
            concurrency=plan.concurrency,
            progress=True,
            console=console,
        )
    accuracy = summarize_decisions(records).get("exact_accuracy")
    console.print(f"{len(points)} train points; baseline exact accuracy {accuracy}")

    console.rule("2/4 failure analysis: rules, counterfactual re-runs → profile → minimal specialist subset")
    candidates = linked_specialists(diagnose_decision_failures(records, by_id, plan.domain))
    with dspy.context(lm=lm):
        profile, rows = counterfactual_profile(
            records,
            by_id,
            lambda codes: build_agent("fama", base=plan.base, specialists=codes, **settings),
            out / "stage1-train",
            domain=plan.domain,
            model=model,
            budget=plan.counterfactual_points,
            candidates=candidates or ["mem"],
            coverage_threshold=plan.coverage_threshold,
            max_specialists=plan.budget,
            concurrency=plan.concurrency,
        )
    profile_path = out / "profile.json"
    profile.save(profile_path)
    _print_profile(console, profile, rows)
    subset = list(profile.recommended)

    console.rule(f"3/4 compile on train: {plan.num_demos} labeled demonstrations from gold train decisions")
    examples = to_examples(decision_dataset(points))
    programs: dict[str, Path] = {}
    students = {f"{plan.base}-demos": build_agent(plan.base, **settings)}
    if subset:
        students["fama-demos"] = build_agent("fama", base=plan.base, specialists=subset, **settings)
    for name, student in students.items():
        selection = labeled_demos(student, examples, k=plan.num_demos, seed=plan.demo_seed)
        programs[name] = save_program(
            selection.program,
            out / "programs" / f"{name}.json",
            {"kept": "tuned", "tuning": {"optimizer": "labeled-demos", **selection.record()}},
            profile=profile if name == "fama-demos" else None,
            model=model,
        )
        console.print(
            f"{name}: demos from {', '.join(selection.chosen)} (~{selection.demo_tokens} prompt tokens per decision)"
        )

    console.rule("4/4 test decision points: base, base compiled, FAMA, FAMA compiled (same points)")
    items = [plan.base, f"fama-compiled:{programs[f'{plan.base}-demos']}"]
    if subset:
        items += [f"fama-profile:{plan.base}:{profile_path}", f"fama-compiled:{programs['fama-demos']}"]
    else:
        console.print("[yellow]the profile recommends no specialist: FAMA is the base agent here[/yellow]")
    result = DemoResult(
        profile_path=profile_path, profile=profile, train_accuracy=accuracy, programs=programs
    )
    decisions = run_bench(
        BenchPlan(
            benchmark=plan.benchmark,
            domain=plan.domain,
            configs=parse_configs(",".join(items)),
            modes=("decisions",),
            split="test",
            num_tasks=plan.test_tasks,
            concurrency=plan.concurrency,
            **settings,
        ),
        out / "test-decisions",
        lm,
        model=model,
        console=console,
    )
    result.reports["decisions"] = decisions.report
    print_report(decisions.report, console)
    name_of = {c["spec"]: c["name"] for c in decisions.manifest["configs"]}
    names = [name_of[item] for item in items]
    result.levers = lever_rows(out / "test-decisions", names)
    _print_levers(console, result.levers)
    if plan.solo_domain:
        solo = run_bench(
            BenchPlan(
                benchmark=plan.benchmark,
                domain=plan.solo_domain,
                configs=parse_configs(",".join(items)),
                modes=("solo",),
                split="base",
                num_tasks=plan.solo_tasks,
                max_steps=plan.solo_max_steps,
                concurrency=plan.concurrency,
                **settings,
            ),
            out / f"solo-{plan.solo_domain}",
            lm,
            model=model,
            console=console,
        )
        result.reports["solo"] = solo.report
        print_report(solo.report, console)
    console.print(
        "[bold]What this shows:[/bold] decision-level accuracy is where a small CPU model gives a signal. "
        "With a few points the intervals are wide: read each Δ with its CI, and scale up with --full, "
        "fama compile and fama bench."
    )
    for kind, path in result.reports.items():
        console.print(f"report ({kind}): {path}")
    return result


def lever_rows(run_dir: Path, names: list[str]) -> list[dict[str, Any]]:
    """Which lever produced which part of the difference, on the points every configuration answered.

    ``names``: base, base compiled, and (when the profile chose specialists) FAMA, FAMA compiled.
    """
    from fama_dspy.report.stats import paired_accuracy_difference
    from fama_dspy.results.decisions import load_decision_results

    exact: dict[str, dict[str, bool]] = {n: {} for n in names}
    for r in load_decision_results(run_dir):
        if r["config"] in exact:
            exact[r["config"]][f"{r['point_id']}#{r.get('trial') or 0}"] = bool(r.get("exact_ok"))
    pairs = [("compilation (demos)", names[1], names[0])]
    if len(names) == 4:
        pairs += [
            ("meta layer (FAMA)", names[2], names[0]),
            ("meta layer on the compiled agent", names[3], names[1]),
            ("both", names[3], names[0]),
        ]
    rows = []
    for lever, config, base in pairs:
        interval = paired_accuracy_difference(exact[config], exact[base])
        rows.append(
            {
                "lever": lever,
                "config": config,
                "base": base,
                "points": interval.n if interval else 0,
                "delta_exact": interval.estimate if interval else None,
                "low": interval.low if interval else None,
                "high": interval.high if interval else None,
            }
        )
    return rows


def _print_levers(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="which lever produced which part of the difference (test points, exact accuracy)")
    for column in ("lever", "configuration", "vs", "points", "Δ exact [95% CI]"):
        table.add_column(column)
    for r in rows:
        delta = (
            "-"
            if r["delta_exact"] is None
            else f"{100 * r['delta_exact']:+.1f} [{100 * r['low']:+.1f}, {100 * r['high']:+.1f}]"
        )
        # escaped: "fama-compiled[react-demos]" would otherwise be read as rich markup and vanish
        table.add_row(r["lever"], escape(r["config"]), escape(r["base"]), str(r["points"]), delta)
    console.print(table)


def _print_profile(console: Console, profile: FailureProfile, rows: list[dict[str, Any]]) -> None:
    table = Table(title=f"failure profile ({profile.n_failed} failed decisions)")
    table.add_column("category")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for category, count in profile.category_counts.items():
        share = profile.category_frequencies.get(category, 0.0)
        table.add_row(category, str(count), f"{share:.0%}")
    console.print(table)
    if rows:
        flips = Table(title="counterfactual re-runs: failed train points flipped to exact, per specialist")
        for column in ("specialist", "re-runs", "flipped"):
            flips.add_column(column)
        for code in sorted({r["specialist"] for r in rows}):
            mine = [r for r in rows if r["specialist"] == code]
            flips.add_row(code, str(len(mine)), str(sum(1 for r in mine if r["fixed"])))
        console.print(flips)
    console.print(
        f"recommended specialists: [bold]{', '.join(profile.recommended) or 'none'}[/bold] "
        f"(coverage {profile.coverage:.2f}); {profile.explanation}"
    )

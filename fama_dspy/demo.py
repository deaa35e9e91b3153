"""``fama demo``: FAMA end to end on one machine, in the evaluation modes where a small model gives a signal.

1. **Baseline on train decision points** (gold prefix → next action; no user simulator).
2. **Failure analysis → profile.** Each wrong decision is diagnosed against its gold action by
   rules (``optimizers.metric.diagnose``: acting before a lookup/confirmation → DPV, a wrong value
   that appears in a tool output → WRCO, an invented tool/value → CM, stopping or talking instead of
   acting → IFU), the category counts become a ``FailureProfile`` and the minimal specialist subset
   is selected from it. Rules, not LLM judges, because on a 2-core CPU the judges would take most of
   the time budget; ``fama analyze`` runs the LLM judges on episode runs.
3. **FAMA (the profile's subset) vs the same baseline on *test* decision points**, and on a few
   solo episodes, through ``fama bench`` (same points, tasks, seeds), then the report.

Sizes default to what finishes in about 20 minutes on 2 cores with the 1.5B model; ``full=True``
uses every task of the splits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from fama_dspy.analysis.profile import FailureProfile
from fama_dspy.analysis.profile_builder import build_profile
from fama_dspy.decision_analysis import diagnose_decision_failures


@dataclass
class DemoPlan:
    benchmark: str = "tau2"
    domain: str = "airline"
    base: str = "react"
    train_tasks: int | None = 6
    test_tasks: int | None = 4
    solo_domain: str | None = "mock"
    solo_tasks: int | None = 2
    solo_max_steps: int = 10
    coverage_threshold: float = 0.8
    budget: int = 2
    concurrency: int = 2
    decoding: str | None = None  # None: the library default (constrained)
    id_policy: str | None = None  # None: the library default (seen)

    def agent_settings(self) -> dict[str, str]:
        return {k: v for k, v in (("decoding", self.decoding), ("id_policy", self.id_policy)) if v}

    @classmethod
    def full(cls, **overrides: Any) -> DemoPlan:
        return cls(train_tasks=None, test_tasks=None, solo_tasks=None, solo_max_steps=30, **overrides)


@dataclass
class DemoResult:
    profile_path: Path
    profile: FailureProfile
    reports: dict[str, Path] = field(default_factory=dict)
    train_accuracy: float | None = None


def run_demo(plan: DemoPlan, lm, out: Path, model: str, console: Console | None = None) -> DemoResult:
    import dspy

    from fama_dspy.bench import BenchPlan, parse_configs, run_bench
    from fama_dspy.benchmarks import get_benchmark
    from fama_dspy.configs import build_agent
    from fama_dspy.decoding import decoding_label
    from fama_dspy.report.console import print_report
    from fama_dspy.results.decisions import evaluate_decisions, summarize_decisions

    console = console or Console()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    console.rule(f"1/3 baseline '{plan.base}' on {plan.domain} train decision points")
    benchmark = get_benchmark(plan.benchmark)
    points = benchmark.decision_points(plan.domain, "train", num_tasks=plan.train_tasks)
    with dspy.context(lm=lm):
        records = evaluate_decisions(
            build_agent(plan.base, **plan.agent_settings()),
            points,
            out / "stage1-train",
            config_name=plan.base + decoding_label(plan.decoding, plan.id_policy),
            concurrency=plan.concurrency,
            progress=True,
            console=console,
        )
    summary = summarize_decisions(records)
    accuracy = summary.get("exact_accuracy")
    console.print(f"{len(points)} train points; baseline exact accuracy {accuracy}")

    console.rule("2/3 failure analysis → failure profile → minimal specialist subset")
    diagnoses = diagnose_decision_failures(records, {p.id: p for p in points}, plan.domain)
    profile = build_profile(
        diagnoses,
        model=model,
        domain=plan.domain,
        split="train",
        task_ids=sorted({p.task_id for p in points}),
        judge_model="rules (decision-level diagnosis)",
        coverage_threshold=plan.coverage_threshold,
        budget=plan.budget,
        notes=[f"demo: {len(points)} train decision points of the first {plan.train_tasks or 'all'} tasks"],
    )
    profile_path = out / "profile.json"
    profile.save(profile_path)
    _print_profile(console, profile)
    subset = "+".join(profile.recommended)

    console.rule("3/3 FAMA vs baseline on test tasks (same points, tasks and seeds)")
    configs = parse_configs(f"{plan.base},fama-profile:{plan.base}:{profile_path}" if subset else plan.base)
    if not subset:
        console.print("[yellow]the profile recommends no specialist: only the baseline runs on test[/yellow]")
    result = DemoResult(profile_path=profile_path, profile=profile, train_accuracy=accuracy)
    decisions = run_bench(
        BenchPlan(
            benchmark=plan.benchmark,
            domain=plan.domain,
            configs=configs,
            modes=("decisions",),
            split="test",
            num_tasks=plan.test_tasks,
            concurrency=plan.concurrency,
            **plan.agent_settings(),
        ),
        out / "test-decisions",
        lm,
        model=model,
        console=console,
    )
    result.reports["decisions"] = decisions.report
    print_report(decisions.report, console)
    if plan.solo_domain:
        solo = run_bench(
            BenchPlan(
                benchmark=plan.benchmark,
                domain=plan.solo_domain,
                configs=configs,
                modes=("solo",),
                split="base",
                num_tasks=plan.solo_tasks,
                max_steps=plan.solo_max_steps,
                concurrency=plan.concurrency,
                **plan.agent_settings(),
            ),
            out / f"solo-{plan.solo_domain}",
            lm,
            model=model,
            console=console,
        )
        result.reports["solo"] = solo.report
        print_report(solo.report, console)
    console.print(
        "[bold]What this shows:[/bold] decision-level accuracy and solo episodes are where a small CPU "
        "model gives a signal (its simulated users drift out of role, docs/design.md §8). With a few points the "
        "intervals are wide: read the Δ with its CI, and scale up with --full or fama bench."
    )
    for kind, path in result.reports.items():
        console.print(f"report ({kind}): {path}")
    return result


def _print_profile(console: Console, profile: FailureProfile) -> None:
    table = Table(title=f"failure profile ({profile.n_failed} failed decisions)")
    table.add_column("category")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for category, count in profile.category_counts.items():
        share = profile.category_frequencies.get(category, 0.0)
        table.add_row(category, str(count), f"{share:.0%}")
    console.print(table)
    console.print(
        f"recommended specialists: [bold]{', '.join(profile.recommended) or 'none'}[/bold] "
        f"(coverage {profile.coverage:.2f}); {profile.explanation}"
    )

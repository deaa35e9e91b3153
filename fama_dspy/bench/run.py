"""``run_bench``: every configuration of a plan on the same tasks, decision points, trials and seeds.

All configurations share one run directory: ``episodes.jsonl`` and ``decisions.jsonl`` hold every
configuration's records, and the benchmark's runner skips what a configuration already finished,
so an interrupted bench resumes by running the same plan again. ``bench.json`` (the manifest)
records the model, temperature, benchmark, task selection and each configuration's base agent
for the report (``manifest.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dspy
from rich.console import Console
from rich.markup import escape

from fama_dspy.bench.agents import GOLD_EXTRA
from fama_dspy.bench.manifest import bench_manifest
from fama_dspy.bench.plan import BenchPlan, BenchResult, check_plan, lm_label, resolve_configs
from fama_dspy.bench.trials import TrialRollouts, sampled_agent_factory
from fama_dspy.benchmarks import EpisodeRequest, get_benchmark
from fama_dspy.errors import ConfigError
from fama_dspy.lm_calls import prompt_cache_stats
from fama_dspy.report.manifest import write_manifest
from fama_dspy.report.writer import write_report
from fama_dspy.results.decisions import RECOMMENDED_POINTS, evaluate_decisions


def run_bench(
    plan: BenchPlan,
    out: Path | str,
    lm,
    *,
    model: str | None = None,
    user_lm=None,
    user_llm: tuple[str, dict] | None = None,
    tau2_agent_llm: tuple[str, dict] | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> BenchResult:
    """Run every configuration of ``plan`` on the same selection, into ``out``; write the report.

    ``lm`` is the agents' ``dspy.LM``; ``model`` names it in the manifest (default: its route spec
    or model string). The interactive user is ``user_lm`` (default ``lm``) for ``user="fama"``, or
    τ²'s simulator on ``user_llm`` = (LiteLLM model, args) for ``user="tau2"``. ``tau2_agent_llm``
    is (LiteLLM model, args) for the ``tau2-llm-agent`` configuration. ``console`` receives the
    progress and the warnings (default: stderr).
    """
    console = console or Console(stderr=True)
    check_plan(plan)
    benchmark = get_benchmark(plan.benchmark)
    out = Path(out)
    model = model or lm_label(lm)
    temperature = (getattr(lm, "kwargs", None) or {}).get("temperature")
    configs = resolve_configs(plan, model)
    if any(c.tau2_llm for c in configs) and tau2_agent_llm is None:
        raise ConfigError(
            "tau2-llm-agent needs the model as a LiteLLM string (the CLI builds it from --model)"
        )
    if "interactive" in plan.modes and plan.user == "tau2" and user_llm is None:
        raise ConfigError(
            "the tau2 user simulator needs a LiteLLM model (the CLI builds it from --user-model)"
        )
    seeds = (
        [plan.seed + i for i in range(plan.trials)]
        if plan.seed is not None
        else benchmark.default_seeds(plan.trials)
    )
    # At temperature > 0 every episode samples anew (its own rollout id: task and trial seed).
    rollouts = TrialRollouts() if temperature else None
    sampled_trials = rollouts is not None and plan.trials > 1  # decision points: one prompt per task
    if plan.trials > 1 and not temperature:
        console.print(
            f"[yellow]{plan.trials} trials at temperature {temperature}: a deterministic server "
            "repeats the same answer every trial. Use --temperature 0.7 for distinct trials.[/yellow]"
        )
    out.mkdir(parents=True, exist_ok=True)
    user_model = None
    if "interactive" in plan.modes:
        user_model = {
            "fama": lm_label(user_lm) if user_lm is not None else model,
            "acebench": lm_label(user_lm) if user_lm is not None else model,
            "tau2": user_llm[0] if user_llm else None,
        }.get(plan.user)
    manifest = bench_manifest(
        plan,
        out,
        model,
        temperature,
        seeds,
        configs,
        user_model,
        warn=lambda line: console.print(escape(line)),
    )
    write_manifest(out, manifest)
    task_ids = plan.task_ids
    num_tasks = None if task_ids else plan.num_tasks  # explicit ids override the default count
    skipped: list[str] = []

    with dspy.context(lm=lm):
        for mode in plan.modes:
            if mode == "decisions":
                points = benchmark.decision_points(
                    plan.domain,
                    plan.split,
                    task_ids=task_ids,
                    num_tasks=num_tasks,
                    solo=plan.decision_view == "solo",
                )
                if len(points) < RECOMMENDED_POINTS:
                    console.print(
                        f"[yellow]{len(points)} decision points: differences of a few points need ≥ "
                        f"{RECOMMENDED_POINTS} (one point = {100 / max(1, len(points)):.1f} %).[/yellow]"
                    )
                for config in configs:
                    if config.runs_without_factory:
                        skipped.append(
                            f"{config.name}: decisions ({config.description} runs only as episodes)"
                        )
                        continue
                    evaluate_decisions(
                        config.factory(),
                        points,
                        out,
                        config_name=config.name,
                        concurrency=plan.concurrency,
                        progress=progress,
                        # a seed only labels a trial when it picks the trial's samples
                        seeds=seeds if sampled_trials else [None] * plan.trials,
                        lm_for_seed=(lambda s, base=lm: rollouts.lm_for(base, s)) if sampled_trials else None,
                    )
                continue
            solo = mode == "solo"
            user_kwargs: dict[str, Any] = {}
            if not solo and plan.user in ("fama", "acebench"):  # LM-driven users on a dspy.LM
                user_kwargs = {"user_lm": user_lm or lm}
            elif not solo and plan.user == "tau2":
                user_kwargs = {"user_llm": user_llm[0], "user_llm_args": user_llm[1]}
            for config in configs:
                extra: dict[str, Any] = {}
                agent_factory = config.factory
                if config.tau2_llm:
                    extra = {"agent_llm": tau2_agent_llm[0], "agent_llm_args": tau2_agent_llm[1]}
                elif config.gold:
                    extra = dict(GOLD_EXTRA)
                elif rollouts is not None:
                    agent_factory = sampled_agent_factory(config.factory, rollouts)
                benchmark.run_episodes(
                    EpisodeRequest(
                        config_name=config.name,
                        domain=plan.domain,
                        split=plan.split,
                        task_ids=task_ids,
                        num_tasks=num_tasks,
                        trials=plan.trials,
                        seeds=seeds,
                        max_steps=plan.max_steps,
                        concurrency=plan.concurrency,
                        solo=solo,
                        user=plan.user,
                        out=out,
                        progress=progress,
                        **user_kwargs,
                        extra=extra,
                    ),
                    agent_factory,
                )
    for line in skipped:
        console.print(f"[yellow]skipped {escape(line)}[/yellow]")
    cache = prompt_cache_stats(
        [
            e
            for m in [lm, *(rollouts.copies() if rollouts else [])]
            for e in (getattr(m, "history", None) or [])
        ]
    )
    if cache["requests"]:
        console.print(
            f"server prompt cache: {cache['cached_tokens']}/{cache['prompt_tokens']} prompt tokens reused "
            f"({cache['cached_share']:.0%}) over {cache['requests']} server requests"
        )
    return BenchResult(report=write_report(out), manifest=manifest, skipped=skipped, prompt_cache=cache)

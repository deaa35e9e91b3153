"""``fama bench``: flags → a ``BenchPlan``, then ``fama_dspy.bench.run_bench`` and the report's tables.

Every configuration runs on the same tasks, decision points, trials and seeds into one run
directory; rerunning the same command resumes (see ``fama_dspy.bench``).

``--configs`` mini-language (comma-separated; specialist codes joined by ``+``)::

    react | fc | tau2-llm-agent
    irma | irma:fc                          IRMA-style on ReAct (default) or FC
    fama:dce+mem | fama:fc:dce+mem          FAMA with an explicit subset, on ReAct or FC
    fama-profile:PATH | fama-profile:fc:PATH   FAMA with a failure profile's recommended subset
    fama-compiled:PATH                      a compiled program (its base mode is read from the file)

Any item may end in ``@SETTINGS``: a decoding mode and/or an id policy joined by ``/``
(``react@json``, ``fama:dce+mem@free/ids-free``, ``react@ids-free``); without it the item uses
``--decoding`` / ``--id-policy``. The setting is part of the configuration's name.

Trials (episodes and decision points alike): at temperature 0 a deterministic server gives the
same answer every trial (the bench warns). At temperature > 0 each trial's fama-dspy agent calls
use ``rollout_id`` = the trial's seed, so DSPy's response cache neither replays trial 0 in later
trials nor mixes trials; τ²'s reference agent gets the seed through τ²'s own ``set_seed``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from fama_dspy.bench import BenchPlan, lm_label, parse_configs, parse_modes, run_bench
from fama_dspy.bench.configs import MODES
from fama_dspy.bench.plan import (
    DECISION_VIEWS,
    DEFAULT_CONFIGS,
    DEFAULT_MODES,
    DEFAULT_NUM_TASKS,
)
from fama_dspy.commands.options import (
    add_decoding_args,
    add_model_args,
    add_task_args,
    make_lm_from_args,
    task_ids_arg,
)
from fama_dspy.report.console import print_report

console = Console(width=None if sys.stdout.isatty() else 200)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "bench",
        help="compare agent configurations on the same τ²-bench tasks, then write a report",
        description="Every configuration runs on the same tasks, decision points, trials and seeds, into one "
        "run directory; rerunning the same command resumes. The report (report.md, summary.csv, "
        "summary.json, PNGs) is written to <out>/report.",
        epilog="--configs: react | fc | tau2-llm-agent | irma[:fc] | fama[:fc]:CODES (e.g. fama:dce+mem) | "
        "fama-profile[:fc]:PATH | fama-compiled:PATH",
    )
    add_model_args(parser)
    add_task_args(parser)
    parser.set_defaults(split="test", num_tasks=DEFAULT_NUM_TASKS)
    add_decoding_args(parser)
    bench = parser.add_argument_group("bench")
    bench.add_argument(
        "--configs", default=DEFAULT_CONFIGS, help=f"comma-separated (default {DEFAULT_CONFIGS})"
    )
    bench.add_argument(
        "--modes",
        default=DEFAULT_MODES,
        help=f"comma-separated from {', '.join(MODES)} (default {DEFAULT_MODES})",
    )
    bench.add_argument(
        "--decision-view",
        default="interactive",
        choices=DECISION_VIEWS,
        help="decision points as the interactive agent or the solo agent sees them",
    )
    bench.add_argument(
        "--user",
        default="fama",
        choices=["fama", "tau2", "acebench", "scripted"],
        help="user simulator of interactive episodes",
    )
    bench.add_argument(
        "--user-model", default=None, help="model spec of the user simulator (default: --model)"
    )
    bench.add_argument("--trials", type=int, default=1)
    bench.add_argument(
        "--seed", type=int, default=None, help="base seed; trial i uses seed+i (default: τ²'s)"
    )
    bench.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="agent decisions plus customer turns per episode (default: the benchmark's; τ² and "
        "ACEBench 30, τ-trait 60)",
    )
    bench.add_argument("--concurrency", type=int, default=1, help="episodes (or points) in flight")
    bench.add_argument("--out", required=True, type=Path)
    parser.set_defaults(handler=bench_command)


def plan_from_args(args: argparse.Namespace) -> BenchPlan:
    return BenchPlan(
        benchmark=args.benchmark,
        domain=args.domain,
        configs=parse_configs(args.configs),
        modes=parse_modes(args.modes),
        split=args.split,
        task_ids=task_ids_arg(args),
        num_tasks=args.num_tasks,
        trials=args.trials,
        seed=args.seed,
        max_steps=args.max_steps,
        concurrency=args.concurrency,
        user=args.user,
        decision_view=args.decision_view,
        decoding=args.decoding,
        id_policy=args.id_policy,
    )


def task_count_line(plan: BenchPlan) -> str:
    """How many of the split's tasks the bench runs: a default count must never pass for the split."""
    from fama_dspy.benchmarks import get_benchmark

    benchmark = get_benchmark(plan.benchmark)
    solo = plan.modes == ["solo"]
    # as run_bench does: explicit ids override the count
    num_tasks = None if plan.task_ids else plan.num_tasks
    chosen = benchmark.task_ids(
        plan.domain, plan.split, task_ids=plan.task_ids, num_tasks=num_tasks, solo=solo
    )
    total = len(benchmark.task_ids(plan.domain, plan.split, solo=solo))
    line = f"tasks: {len(chosen)} of the {total} {plan.domain} {plan.split} tasks"
    if not plan.task_ids and len(chosen) < total:
        line += f" (--num-tasks {plan.num_tasks}; --num-tasks {total} runs them all)"
    return line


def bench_command(args: argparse.Namespace, lm=None) -> int:
    """Run ``fama bench``; ``lm`` replaces the model built from ``--model`` (tests pass a scripted LM)."""
    plan = plan_from_args(args)
    if lm is None:
        lm = make_lm_from_args(args)
    model = lm_label(lm)
    user_lm = user_llm = tau2_agent_llm = None
    if "interactive" in plan.modes and plan.user in ("fama", "tau2", "acebench"):
        user_spec = args.user_model or args.model
        if plan.user == "tau2":
            from fama_dspy.lm import resolve

            user_llm = resolve(user_spec, api_base=args.api_base, api_key=args.api_key).tau2_llm()
        elif args.user_model:
            from fama_dspy.lm import make_lm

            user_lm = make_lm(args.user_model)
    if any(spec.agent == "tau2-llm-agent" for spec in plan.configs):
        from fama_dspy.lm import resolve

        tau2_agent_llm = resolve(args.model, api_base=args.api_base, api_key=args.api_key).tau2_llm(
            args.temperature
        )
    console.print(
        escape(
            f"bench: {', '.join(s.spec for s in plan.configs)} · {', '.join(plan.modes)} · "
            f"model {model} · {plan.domain} {plan.split} · out {args.out}"
        )
    )
    console.print(escape(task_count_line(plan)))
    result = run_bench(
        plan,
        args.out,
        lm,
        model=model,
        user_lm=user_lm,
        user_llm=user_llm,
        tau2_agent_llm=tau2_agent_llm,
        console=console,
    )
    print_report(result.report, console)
    return 0

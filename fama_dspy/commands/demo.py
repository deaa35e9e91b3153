"""``fama demo``: baseline → failure analysis → profile → FAMA vs baseline on test, on the embedded model."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console

from fama_dspy.benchmarks import DEFAULT_BENCHMARK, available_benchmarks
from fama_dspy.commands.options import add_decoding_args, add_model_args

console = Console(width=None if sys.stdout.isatty() else 160)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo",
        help="FAMA end to end: baseline on train → counterfactual profile → compile → base vs FAMA on test",
        description="Default sizes aim at about 15 minutes on 2 cores with the embedded 1.5B model; "
        "--full uses every task. Rerunning with the same --out resumes.",
    )
    add_model_args(parser)
    parser.add_argument("--benchmark", default=DEFAULT_BENCHMARK, choices=available_benchmarks())
    parser.add_argument("--domain", default="airline", help="an interactive domain of the benchmark")
    parser.add_argument("--base", default="react", choices=["react", "fc"])
    parser.add_argument("--train-tasks", type=int, default=4)
    parser.add_argument("--test-tasks", type=int, default=2)
    parser.add_argument(
        "--counterfactual-points",
        type=int,
        default=1,
        help="failed train points re-asked per linked specialist",
    )
    parser.add_argument(
        "--num-demos", type=int, default=3, help="labeled demonstrations in the compiled programs"
    )
    parser.add_argument("--solo-domain", default="none", help="solo episodes too, e.g. mock (default: none)")
    parser.add_argument("--solo-tasks", type=int, default=2)
    parser.add_argument(
        "--concurrency", type=int, default=4, help="decisions in flight (the embedded server has 4 slots)"
    )
    parser.add_argument("--full", action="store_true", help="every task of the splits (hours on a CPU)")
    parser.add_argument("--out", type=Path, default=Path("runs/demo"))
    add_decoding_args(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fama_dspy.commands.options import make_lm_from_args
    from fama_dspy.demo import DemoPlan, run_demo

    solo_domain = None if args.solo_domain == "none" else args.solo_domain
    common = {
        "benchmark": args.benchmark,
        "domain": args.domain,
        "base": args.base,
        "solo_domain": solo_domain,
        "concurrency": args.concurrency,
        "num_demos": args.num_demos,
        "decoding": args.decoding,
        "id_policy": args.id_policy,
    }
    plan = (
        DemoPlan.full(**common)
        if args.full
        else DemoPlan(
            train_tasks=args.train_tasks,
            test_tasks=args.test_tasks,
            counterfactual_points=args.counterfactual_points,
            solo_tasks=args.solo_tasks,
            **common,
        )
    )
    started = time.perf_counter()
    from fama_dspy.lm import resolve

    lm = make_lm_from_args(args)
    # The profile names the model itself ("qwen2.5-coder-1.5b"), not the spec that picked it ("local").
    route = resolve(args.model, api_base=args.api_base, api_key=args.api_key, start_server=False)
    run_demo(plan, lm, args.out, model=route.local_model or route.litellm_model, console=console)
    console.print(f"demo finished in {(time.perf_counter() - started) / 60:.1f} min")
    return 0

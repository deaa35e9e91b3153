"""``fama run``: one agent configuration on τ²-bench tasks (episodes) or gold decision points."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from fama_dspy.commands.options import (
    add_agent_args,
    add_model_args,
    add_task_args,
    agent_choice,
    make_lm_from_args,
    task_ids_arg,
)

console = Console(width=None if sys.stdout.isatty() else 200)  # wide tables in logs


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run",
        help="run one agent configuration on τ²-bench (episodes or decision points)",
        description="Results are appended to <out>/episodes.jsonl or <out>/decisions.jsonl as each "
        "finishes; rerunning with the same --out resumes.",
    )
    add_model_args(parser)
    add_task_args(parser)
    add_agent_args(parser)
    run = parser.add_argument_group("run")
    run.add_argument("--mode", default="episodes", choices=["episodes", "decisions"])
    run.add_argument(
        "--solo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="agent gets the ticket, no user (default: on for mock and telecom)",
    )
    run.add_argument(
        "--user",
        default="fama",
        choices=["fama", "tau2", "acebench", "scripted"],
        help="user simulator (interactive): ours (fama), τ²'s own (tau2), ACEBench's own prompt on "
        "--user-model (acebench), or the gold-following scripted user (no LLM)",
    )
    run.add_argument("--user-model", default=None, help="model spec of the user simulator (default: --model)")
    run.add_argument("--trials", type=int, default=1)
    run.add_argument("--seed", type=int, default=None, help="base seed; trial i uses seed+i (default: τ²'s)")
    run.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="agent decisions plus customer turns per episode (default: the benchmark's; τ² and "
        "ACEBench 30, τ-trait 60 = its own limit of 30 agent actions, each answered)",
    )
    run.add_argument(
        "--concurrency", type=int, default=2, help="episodes (or points) in flight; the server batches"
    )
    run.add_argument("--out", required=True, type=Path)
    parser.set_defaults(handler=run_command)


def _episodes(args: argparse.Namespace, lm) -> int:
    import dspy

    from fama_dspy.benchmarks import EpisodeRequest, get_benchmark
    from fama_dspy.results.summary import print_summaries, summarize_groups

    benchmark = get_benchmark(args.benchmark)
    choice = agent_choice(args, domain=args.domain)
    solo = args.solo if args.solo is not None else args.domain in benchmark.solo_domains
    seeds = [args.seed + i for i in range(args.trials)] if args.seed is not None else None
    user_kwargs: dict = {}
    if not solo and args.user in ("fama", "tau2", "acebench"):
        from fama_dspy.lm import make_lm, resolve

        user_spec = args.user_model or args.model
        if args.user == "tau2":
            llm, llm_args = resolve(user_spec, api_base=args.api_base, api_key=args.api_key).tau2_llm()
            user_kwargs = {"user_llm": llm, "user_llm_args": llm_args}
        else:
            user_kwargs = {"user_lm": lm if user_spec == args.model else make_lm(user_spec)}
    extra: dict = {}
    if choice.tau2_llm:
        from fama_dspy.lm import resolve

        llm, llm_args = resolve(args.model, api_base=args.api_base, api_key=args.api_key).tau2_llm(
            args.temperature
        )
        extra = {"agent_llm": llm, "agent_llm_args": llm_args}
    elif choice.gold:
        from fama_dspy.bench.agents import GOLD_EXTRA

        extra = dict(GOLD_EXTRA)
    from fama_dspy.bench.trials import TrialRollouts, sampled_agent_factory

    factory = None if choice.runs_without_factory else choice.factory
    rollouts = TrialRollouts()
    if factory is not None and args.temperature:
        # Each episode samples anew: its calls carry a rollout id made of its task and trial seed,
        # so DSPy's response cache never replays trial 0 or a task that opened with the same prompt.
        factory = sampled_agent_factory(factory, rollouts)
    console.print(
        f"[bold]{choice.name}[/bold]: {choice.description}; model {args.model}; "
        f"{args.domain} {args.split}{' solo' if solo else f' with user {args.user}'}"
    )
    with dspy.context(lm=lm):
        records = benchmark.run_episodes(
            EpisodeRequest(
                config_name=choice.name,
                domain=args.domain,
                split=args.split,
                task_ids=task_ids_arg(args),
                num_tasks=args.num_tasks,
                trials=args.trials,
                seeds=seeds,
                max_steps=args.max_steps,
                concurrency=args.concurrency,
                solo=solo,
                user=args.user,
                out=args.out,
                **user_kwargs,
                extra=extra,
            ),
            factory,
        )
    print_summaries(summarize_groups(records), console=console, title=f"{choice.name} · {args.domain}")
    _print_cache_stats(lm, *rollouts.copies())  # sampled agents' calls land in the rollout copies
    console.print(f"records: {args.out / 'episodes.jsonl'}")
    return 0


def _decisions(args: argparse.Namespace, lm) -> int:
    import dspy

    from fama_dspy.bench.trials import TrialRollouts
    from fama_dspy.benchmarks import get_benchmark
    from fama_dspy.results.decisions import (
        RECOMMENDED_POINTS,
        decision_table,
        evaluate_decisions,
        summarize_decisions,
    )

    choice = agent_choice(args, domain=args.domain)
    if choice.runs_without_factory:
        from fama_dspy.errors import ConfigError

        raise ConfigError(
            f"decision-level evaluation runs fama-dspy agents; {choice.description} needs episodes"
        )
    points = get_benchmark(args.benchmark).decision_points(
        args.domain, args.split, task_ids=task_ids_arg(args), num_tasks=args.num_tasks, solo=bool(args.solo)
    )
    if len(points) < RECOMMENDED_POINTS:
        console.print(
            f"[yellow]{len(points)} decision points: differences of a few points need ≥ "
            f"{RECOMMENDED_POINTS} (one point = {100 / max(1, len(points)):.1f} %).[/yellow]"
        )
    sampled = args.trials > 1 and bool(args.temperature)
    if args.trials > 1 and not sampled:
        console.print(
            f"[yellow]{args.trials} trials at temperature {args.temperature}: the same answer every "
            "trial. Use --temperature 0.7 for distinct trials.[/yellow]"
        )
    base_seed = args.seed if args.seed is not None else 0
    # Trial i's calls carry rollout_id = its seed: distinct samples, not DSPy cache replays of trial 0.
    seeds = [base_seed + i for i in range(args.trials)] if sampled else [None] * args.trials
    rollouts = TrialRollouts()
    with dspy.context(lm=lm):
        records = evaluate_decisions(
            choice.factory(),
            points,
            args.out,
            config_name=choice.name,
            concurrency=args.concurrency,
            progress=True,
            seeds=seeds,
            lm_for_seed=(lambda s: rollouts.lm_for(lm, s)) if sampled else None,
        )
    console.print(
        decision_table({choice.name: summarize_decisions(records)}, title=f"{args.domain} decisions")
    )
    _print_cache_stats(lm, *rollouts.copies())
    console.print(f"records: {args.out / 'decisions.jsonl'}")
    return 0


def _print_cache_stats(*lms) -> None:
    from fama_dspy.lm_calls import prompt_cache_stats

    stats = prompt_cache_stats([entry for lm in lms if lm is not None for entry in lm.history])
    if stats["requests"]:
        console.print(
            f"server prompt cache: {stats['cached_tokens']}/{stats['prompt_tokens']} prompt tokens reused "
            f"({stats['cached_share']:.0%}) over {stats['requests']} server requests"
        )


def _log_invocation(args: argparse.Namespace) -> None:
    """Records hold no model name: keep each invocation's model and settings next to them."""
    import json
    from datetime import UTC, datetime

    from fama_dspy.report.manifest import package_versions

    args.out.mkdir(parents=True, exist_ok=True)
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "argv": sys.argv[1:],
        "model": args.model,
        "api_base": args.api_base,
        "temperature": args.temperature,
        "mode": args.mode,
        "benchmark": args.benchmark,
        "domain": args.domain,
        "split": args.split,
        "versions": package_versions(),
    }
    with (args.out / "run-log.jsonl").open("a") as fh:
        fh.write(json.dumps(entry) + "\n")


def run_command(args: argparse.Namespace) -> int:
    # The gold replay needs no model, unless an LLM plays the user; no server is started for it.
    llm_free = args.agent == "gold" and (args.solo or args.user == "scripted")
    lm = None if llm_free else make_lm_from_args(args)
    _log_invocation(args)
    return _decisions(args, lm) if args.mode == "decisions" else _episodes(args, lm)

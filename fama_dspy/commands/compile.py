"""``fama compile``: tune the agent's and specialists' instructions on train decision points, check, save."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console

from fama_dspy.commands.options import (
    add_agent_args,
    add_model_args,
    add_task_args,
    agent_choice,
    make_lm_from_args,
)

console = Console()


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compile",
        help="tune instructions with GEPA or MIPROv2 on train decision points and save the program",
        description="Claims are made on test tasks only, so the test split is refused unless --allow-test-split.",
    )
    add_model_args(parser)
    add_task_args(parser, default_domain="airline")
    add_agent_args(parser)
    group = parser.add_argument_group("compile")
    group.add_argument(
        "--optimizer",
        default="gepa",
        metavar="OPTIMIZER[+OPTIMIZER...]",
        help="demos: k labeled demos from gold train decisions, chosen by validation score; "
        "knn: the nearest labeled train decisions retrieved per decision (pool saved in the program); "
        "instructions: an Optuna study picks which bank and mined instruction lines to inject; "
        "chains such as instructions+demos run in order, each on the previous result; "
        "gepa / mipro: instruction search (a stronger --reflection-model helps)",
    )
    group.add_argument("--num-demos", type=int, default=3, help="demos: demonstrations per predictor")
    group.add_argument(
        "--instruction-trials", type=int, default=12, help="instructions: Optuna trials (resumable)"
    )
    group.add_argument(
        "--demo-sets",
        type=int,
        default=6,
        help="demos: candidate sets scored on validation (1: one seeded set, no search, no LM call)",
    )
    group.add_argument(
        "--budget", type=int, default=300, help="LM calls the optimizer may spend (task + reflection)"
    )
    group.add_argument(
        "--reflection-model",
        "--prompt-model",
        dest="reflection_model",
        default=None,
        help="GEPA's reflection / MIPROv2's prompt (proposal) model; a stronger model than --model helps "
        "(default: --model)",
    )
    group.add_argument("--with-demos", action="store_true", help="MIPROv2: also select few-shot demos")
    group.add_argument(
        "--solo-domain",
        default=None,
        help="solo episodes for the acceptance check (default: the domain if solo)",
    )
    group.add_argument("--solo-num-tasks", type=int, default=None)
    group.add_argument("--solo-max-steps", type=int, default=30, help="step limit of the acceptance episodes")
    group.add_argument(
        "--threads",
        type=int,
        default=1,
        help="decision points scored at once (the server batches up to its slot count)",
    )
    group.add_argument("--out", type=Path, default=None, help="default: data/compiled/<name>.json")
    group.add_argument("--allow-test-split", action="store_true")
    group.add_argument("--seed", type=int, default=0)
    parser.set_defaults(handler=run, agent="react")


def run(args: argparse.Namespace) -> int:
    from fama_dspy.commands.options import task_ids_arg
    from fama_dspy.optimizers.dataset import guard_split
    from fama_dspy.optimizers.pipeline import compile_program
    from fama_dspy.optimizers.settings import CompileSettings, ProgramOutput, SoloEpisodes, TrainingData

    guard_split(
        args.split, args.allow_test_split, domain=args.domain, benchmark=args.benchmark
    )  # before any model starts
    from fama_dspy.optimizers.pipeline import optimizer_chain

    optimizer_chain(args.optimizer)  # an unknown optimizer fails here, not after the server started
    lm = make_lm_from_args(args)
    reflection_lm = None
    if args.reflection_model:
        from fama_dspy.lm import make_lm

        reflection_lm = make_lm(args.reflection_model, temperature=0.7)
    choice = agent_choice(args, domain=args.domain)
    if choice.factory is None:
        from fama_dspy.errors import ConfigError

        raise ConfigError(
            "τ²'s reference agent has no DSPy predictors to compile; pick react, fc, irma or fama"
        )
    started = time.perf_counter()
    result = compile_program(
        choice.factory(),
        lm,
        TrainingData(
            benchmark=args.benchmark,
            domain=args.domain,
            split=args.split,
            allow_test_split=args.allow_test_split,
            task_ids=task_ids_arg(args),
            num_tasks=args.num_tasks,
            seed=args.seed,
        ),
        CompileSettings(
            optimizer=args.optimizer,
            max_lm_calls=args.budget,
            with_demos=args.with_demos,
            num_demos=args.num_demos,
            demo_sets=args.demo_sets,
            instruction_trials=args.instruction_trials,
            num_threads=args.threads,
        ),
        solo=SoloEpisodes(
            domain=args.solo_domain, num_tasks=args.solo_num_tasks, max_steps=args.solo_max_steps
        ),
        output=ProgramOutput(
            out=args.out,
            name=args.name
            or f"{choice.name.replace('[', '_').replace(']', '').replace(':', '_').replace('+', '-')}"
            f"__{args.domain}__{args.optimizer}",
        ),
        reflection_lm=reflection_lm,
        model_spec=args.model,
        profile=args.profile,
        console=console,
    )
    console.print(
        json.dumps(
            result.acceptance.as_dict() if hasattr(result.acceptance, "as_dict") else str(result.acceptance),
            indent=1,
            default=str,
        )[:3000]
    )
    console.print(
        f"[bold]kept the {result.kept} program[/bold] → {result.path} "
        f"({time.perf_counter() - started:.0f} s, budget {args.budget} LM calls)"
    )
    return 0

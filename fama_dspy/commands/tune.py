"""``fama tune``: an Optuna study over activation settings (thresholds, gates, memory k, verify-and-revise)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console

from fama_dspy.commands.options import (
    add_decoding_args,
    add_model_args,
    add_task_args,
    make_lm_from_args,
    task_ids_arg,
)

console = Console()


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "tune",
        help="Optuna study of activation settings on train data (SQLite storage, resumable)",
        description="The test split is refused unless --allow-test-split.",
    )
    add_model_args(parser)
    add_task_args(parser, default_domain="airline")
    group = parser.add_argument_group("study")
    group.add_argument(
        "--profile", required=True, help="failure profile JSON (coverage threshold and budget start here)"
    )
    group.add_argument(
        "--program", default=None, help="compiled program whose tuned instructions trials reuse"
    )
    group.add_argument("--base", default="react", choices=["react", "fc"])
    group.add_argument("--study", default=None, help="storage URL or path, e.g. sqlite:///runs/tune/x.db")
    group.add_argument("--study-name", default=None)
    group.add_argument(
        "--worker",
        type=int,
        default=None,
        help="join a study shared by several processes or machines as worker K (0, 1, …); every worker "
        "runs the same command with its own K and the same --study (a database URL across machines)",
    )
    group.add_argument("--trials", type=int, default=20)
    group.add_argument("--seed", type=int, default=0)
    group.add_argument("--solo-domain", default=None)
    group.add_argument("--solo-num-tasks", type=int, default=None)
    group.add_argument("--solo-max-steps", type=int, default=30, help="step limit of the trials' episodes")
    group.add_argument(
        "--threads",
        type=int,
        default=1,
        help="decision points scored at once (the server batches up to its slot count)",
    )
    group.add_argument("--out", type=Path, default=None, help="where the best configuration is saved")
    group.add_argument("--allow-test-split", action="store_true")
    add_decoding_args(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fama_dspy.optimizers.dataset import guard_split
    from fama_dspy.optimizers.pipeline import tune_program_activation
    from fama_dspy.optimizers.settings import ProgramOutput, SoloEpisodes, TrainingData, TuneSettings

    guard_split(args.split, args.allow_test_split, domain=args.domain, benchmark=args.benchmark)
    lm = make_lm_from_args(args)
    started = time.perf_counter()
    report, saved = tune_program_activation(
        args.profile,
        lm,
        TrainingData(
            benchmark=args.benchmark,
            domain=args.domain,
            split=args.split,
            allow_test_split=args.allow_test_split,
            task_ids=task_ids_arg(args),
            num_tasks=args.num_tasks,
        ),
        TuneSettings(
            base=args.base,
            decoding=args.decoding,
            id_policy=args.id_policy,
            n_trials=args.trials,
            seed=args.seed,
            storage=args.study,
            study_name=args.study_name,
            num_threads=args.threads,
            worker=args.worker,
        ),
        solo=SoloEpisodes(
            domain=args.solo_domain, num_tasks=args.solo_num_tasks, max_steps=args.solo_max_steps
        ),
        output=ProgramOutput(out=args.out),
        program=args.program,
        model_spec=args.model,
        console=console,
    )
    console.print(json.dumps(report.as_dict(), indent=1, default=str)[:4000])
    console.print(
        f"[bold]best configuration saved[/bold] → {saved} ({time.perf_counter() - started:.0f} s, "
        f"{report.n_complete} complete / {report.n_pruned} pruned / {report.n_failed} failed trials)"
    )
    return 0

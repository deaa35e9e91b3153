"""``fama validate-judges``: build the judge validation set, or score the failure judges on it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

console = Console(width=None if sys.stdout.isatty() else 200)  # wide tables in logs


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "validate-judges",
        help="build the judge validation set (perturbed gold trajectories) or score the judges on it",
        description="The validation set holds failures with a known cause: gold dialogues of airline and "
        "retail train tasks, each perturbed in one known way and replayed through τ² (no LLM), kept only "
        "when τ² scores them 0 for the intended reason. `build` rebuilds it; `score` prints each error "
        "category's judge precision and recall on it.",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser(
        "build",
        help="rebuild the validation set from perturbed gold dialogues",
        description="Writes <out>/perturbed_failures.jsonl and <out>/manifest.json; no model is needed.",
    )
    build.add_argument(
        "--out", type=Path, default=None, help="output folder (default: data/judge_validation)"
    )
    build.add_argument("--domains", default=None, help="comma-separated τ² domains (default: airline,retail)")
    build.add_argument(
        "--split", default="train", help="task split the gold dialogues come from (default: train)"
    )
    build.add_argument(
        "--per-category", type=int, default=None, help="examples per (domain, category) (default: 7)"
    )
    score = actions.add_parser(
        "score",
        help="judge precision and recall per error category on the validation set",
        description="Runs the failure analyzer (judges, non-agent detector, primary selection) on every "
        "example with the judge model and prints per-category precision and recall.",
    )
    score.add_argument("--judge-model", default="local", help="model spec of the judges (default: local)")
    score.add_argument("--api-base", default=None)
    score.add_argument("--api-key", default=None)
    score.add_argument(
        "--path",
        type=Path,
        default=None,
        help="validation file or folder (default: data/judge_validation/perturbed_failures.jsonl)",
    )
    score.add_argument(
        "--limit", type=int, default=None, help="only N examples, balanced over the categories"
    )
    score.add_argument("--concurrency", type=int, default=2, help="examples judged at once")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return build_command(args) if args.action == "build" else score_command(args)


def build_command(args: argparse.Namespace) -> int:
    from fama_dspy.benchmarks.tau2 import judge_validation

    # Unset flags take the library's defaults: importing them to build the parser would load τ² for
    # every `fama` command.
    options = {"out": args.out or judge_validation.DEFAULT_PATH.parent, "split": args.split}
    if args.domains is not None:
        options["domains"] = tuple(d.strip() for d in args.domains.split(",") if d.strip())
    if args.per_category is not None:
        options["per_category"] = args.per_category
    err = Console(stderr=True)
    manifest = judge_validation.build_validation_set(**options, console=err)
    err.print(json.dumps(manifest, indent=2, sort_keys=True))
    return 0


def score_command(args: argparse.Namespace) -> int:
    from fama_dspy.benchmarks.tau2 import judge_validation
    from fama_dspy.lm import make_lm, resolve

    route = resolve(args.judge_model, api_base=args.api_base, api_key=args.api_key, start_server=False)
    lm = make_lm(args.judge_model, api_base=args.api_base, api_key=args.api_key)
    result = judge_validation.evaluate_judges(
        lm,
        args.path or judge_validation.DEFAULT_PATH,
        judge_model=route.local_model or route.litellm_model,
        concurrency=args.concurrency,
        limit=args.limit,
        progress=True,
    )
    console.print(judge_validation.validation_table(result))
    return 0

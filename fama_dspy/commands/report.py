"""``fama report RUN_DIR``: the comparison tables of a run directory, and report.md with its figures."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from fama_dspy.errors import ConfigError
from fama_dspy.report.console import print_report

console = Console(width=None if sys.stdout.isatty() else 200)


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "report",
        help="tables, figures and report.md from a run directory (fama bench / fama run)",
        description="Reads <run>/episodes.jsonl and <run>/decisions.jsonl (and bench.json when present); writes "
        "report.md, summary.csv, summary.json and PNG figures.",
    )
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="report folder (default <run_dir>/report)")
    parser.add_argument(
        "--base",
        action="append",
        default=[],
        metavar="CONFIG=BASE",
        help="compare CONFIG with BASE (repeatable; BASE 'none' for no comparison); overrides the "
        "bench manifest and the name convention",
    )
    parser.add_argument(
        "--failure-categories",
        type=Path,
        default=None,
        help="JSON {config: {category: count}} of diagnosed failures, for the failure figure",
    )
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.set_defaults(handler=report_command)


def parse_base_map(items: list[str]) -> dict[str, str | None]:
    mapping: dict[str, str | None] = {}
    for item in items:
        config, sep, base = item.rpartition("=")
        if not sep or not config.strip() or not base.strip():
            raise ConfigError(f"--base {item!r}: expected CONFIG=BASE, e.g. 'fama-compiled[x]=fc'")
        mapping[config.strip()] = None if base.strip().lower() == "none" else base.strip()
    return mapping


def load_failure_categories(path: Path | None) -> dict[str, dict[str, int]] | None:
    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read failure categories from {path}: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ConfigError(f"{path}: expected a JSON object {{config: {{category: count}}}}")
    return {str(c): {str(k): int(n) for k, n in counts.items()} for c, counts in data.items()}


def report_command(args: argparse.Namespace) -> int:
    from fama_dspy.report.writer import write_report

    if not args.run_dir.is_dir():
        raise ConfigError(f"{args.run_dir} is not a directory")
    if args.resamples < 1:
        raise ConfigError("--resamples must be at least 1")
    report = write_report(
        args.run_dir,
        args.out,
        base_map=parse_base_map(args.base),
        failure_categories=load_failure_categories(args.failure_categories),
        resamples=args.resamples,
        seed=args.seed,
    )
    print_report(report, console)
    return 0

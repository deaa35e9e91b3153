"""The ``fama`` command line. Errors a user can act on print one line, not a stack trace."""

from __future__ import annotations

import argparse
import importlib
import sys

from rich.console import Console

from fama_dspy.errors import FamaError

#: Subcommand modules under ``fama_dspy.commands``, in help order. Each is imported only to build
#: its parser; heavy imports (τ²-bench, DSPy) happen inside the command, so `fama serve` stays light.
COMMAND_MODULES = [
    "serve",
    "doctor",
    "demo",
    "run",
    "analyze",
    "validate_judges",
    "bench",
    "report",
    "compile",
    "tune",
]

err_console = Console(stderr=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fama", description="FAMA agents for small open LLMs, as DSPy programs."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"fama_dspy.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if getattr(args, "data_dir", None) is not None:
            from fama_dspy.commands.options import use_benchmark_checkout

            use_benchmark_checkout(args)
        if getattr(args, "prompt_layout", None):
            from fama_dspy.adapters import prompt_layout

            with prompt_layout(args.prompt_layout):
                return args.handler(args)
        return args.handler(args)
    except FamaError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; finished results are kept (rerun the same command to resume)")
        return 130
    except Exception as exc:
        from fama_dspy.results.fatal import as_endpoint_error, is_endpoint_failure

        if not is_endpoint_failure(exc):
            raise
        err_console.print(f"[red]error:[/red] {as_endpoint_error(exc)}")
        return 3


if __name__ == "__main__":
    sys.exit(main())

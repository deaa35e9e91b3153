"""The ``fama`` command line. Errors a user can act on print one line, not a stack trace."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable

from rich.console import Console

from fama_dspy.errors import FamaError

console = Console(stderr=False)
err_console = Console(stderr=True)

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(fn):
        COMMANDS[name] = fn
        return fn

    return register


@command("serve")
def cmd_serve(args: argparse.Namespace) -> int:
    from fama_dspy.serving.server import LocalServer

    server = LocalServer(
        args.model, port=args.port, ctx_per_slot=args.ctx, parallel=args.parallel,
        threads=args.threads, log=lambda m: console.print(m),
    )
    # SIGTERM behaves like Ctrl-C so the server is stopped either way.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with server as info:
        console.print(
            f"[green]serving {info.model}[/green] at {info.api_base} "
            f"({info.parallel} slots × {info.ctx_per_slot} tokens); use it with "
            f"--model openai/{info.model} --api-base {info.api_base}. Ctrl-C stops it."
        )
        try:
            server.process.wait()
        except KeyboardInterrupt:
            console.print("stopping")
            return 0
    err_console.print("[red]llama-server exited on its own[/red]; see its log")
    return 1


@command("doctor")
def cmd_doctor(args: argparse.Namespace) -> int:
    from fama_dspy.doctor import run_doctor

    ok = run_doctor(console, model_spec=None if args.no_roundtrip else args.model, check_hashes=True)
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    from fama_dspy.serving.models import DEFAULT_MODEL, MODELS
    from fama_dspy.serving.server import DEFAULT_CTX_PER_SLOT, DEFAULT_PARALLEL

    parser = argparse.ArgumentParser(prog="fama", description="FAMA agents for small open LLMs, as DSPy programs.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the embedded llama-server in the foreground (127.0.0.1)")
    serve.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS))
    serve.add_argument("--port", type=int, default=None, help="default: a free port")
    serve.add_argument("--ctx", type=int, default=DEFAULT_CTX_PER_SLOT, help="context tokens per slot")
    serve.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL, help="parallel slots")
    serve.add_argument("--threads", type=int, default=None)

    doctor = sub.add_parser("doctor", help="versions, server build, verified models, one round trip")
    doctor.add_argument("--model", default="local", help="model spec for the round trip (default: local)")
    doctor.add_argument("--no-roundtrip", action="store_true")

    for register in _EXTRA_PARSERS:
        register(sub)
    return parser


# Other modules add subcommands here (kept apart so `fama serve` never imports τ²-bench).
_EXTRA_PARSERS: list[Callable[[argparse._SubParsersAction], None]] = []


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except FamaError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; finished results are kept")
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""``fama serve``: the embedded llama-server in the foreground, on 127.0.0.1."""

from __future__ import annotations

import argparse
import signal

from rich.console import Console

console = Console()


def add_parser(sub: argparse._SubParsersAction) -> None:
    from fama_dspy.serving.models import DEFAULT_MODEL, MODELS
    from fama_dspy.serving.server import (
        DEFAULT_CTX_PER_SLOT,
        DEFAULT_PARALLEL,
        DEFAULT_SPECULATIVE,
        SPECULATIVE_MODES,
    )

    parser = sub.add_parser("serve", help="run the embedded llama-server in the foreground (127.0.0.1)")
    parser.add_argument("--model", default=DEFAULT_MODEL, choices=sorted(MODELS))
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--ctx", type=int, default=DEFAULT_CTX_PER_SLOT, help="context tokens per slot")
    parser.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL, help="parallel slots")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--speculative",
        choices=SPECULATIVE_MODES,
        default=DEFAULT_SPECULATIVE,
        help="speculative decoding: off, ngram (drafts from the context) or draft (the 0.5B model drafts "
        f"for the 1.5B); default {DEFAULT_SPECULATIVE}",
    )
    parser.set_defaults(handler=run)


def _interrupt(*_):
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from fama_dspy.serving.server import LocalServer

    server = LocalServer(
        args.model,
        port=args.port,
        ctx_per_slot=args.ctx,
        parallel=args.parallel,
        threads=args.threads,
        speculative=args.speculative,
        log=console.print,
    )
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops the server like Ctrl-C does
    # A process started in the background by a non-interactive shell inherits SIGINT as ignored,
    # and Python then installs no handler; Ctrl-C / `kill -INT` must still stop the server.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with server as info:
        console.print(
            f"[green]serving {info.model}[/green] at {info.api_base} ({info.parallel} slots × "
            f"{info.ctx_per_slot} tokens, speculative {info.speculative}); use it with --model openai/{info.model} --api-base {info.api_base}. "
            "Ctrl-C stops it."
        )
        try:
            server.process.wait()
        except KeyboardInterrupt:
            console.print("stopping")
            return 0
    console.print("[red]llama-server exited on its own[/red]; see its log")
    return 1

"""``fama doctor``: versions, server build, verified models, one round trip."""

from __future__ import annotations

import argparse

from rich.console import Console


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("doctor", help="versions, server build, verified models, one round trip")
    parser.add_argument("--model", default="local", help="model spec for the round trip (default: local)")
    parser.add_argument("--no-roundtrip", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from fama_dspy.doctor import run_doctor

    ok = run_doctor(Console(), model_spec=None if args.no_roundtrip else args.model, check_hashes=True)
    return 0 if ok else 1

"""Throughput of real decisions on the embedded server: decisions per minute, tokens, stack overhead.

    python scripts/throughput.py --model local --points 12 --concurrency 1 2 \\
        --configs "react,fama:dce+mem"

On a fixed set of τ² decision points (the first N of a domain's train split), each configuration
answers every point at each concurrency level, with DSPy's response cache off (every request
reaches the server). Printed per (configuration, concurrency): served decisions per minute and its
ratio to the first row (the baseline, measured in the same run), prompt tokens per decision and the
share the server served from its prompt cache, generated tokens per decision, and our stack's time
over the server's own timings for the same requests (wall time of each LM call against llama-server's
``prompt_ms + predicted_ms``). A benchmark prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import contextvars
import time
from concurrent.futures import ThreadPoolExecutor

import dspy
from rich.console import Console
from rich.table import Table

from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points
from fama_dspy.configs import build_agent
from fama_dspy.lm import make_lm


def parse_config(text: str):
    """``react`` | ``fc`` | ``fama:dce+mem`` → an agent factory."""
    name, _, codes = text.partition(":")
    if name == "fama":
        return lambda: build_agent("fama", specialists=codes.split("+"))
    return lambda: build_agent(name)


def one_decision(factory, lm, point) -> dict:
    """Answer one point on a private LM copy, so its history holds exactly this decision's requests."""
    copy = lm.copy()
    started = time.perf_counter()
    with dspy.context(lm=copy):
        factory()(state=point.state)
    wall = time.perf_counter() - started
    prompt = cached = generated = 0
    server_ms = 0.0
    for entry in copy.history:
        timings = getattr(entry.get("response"), "timings", None) or {}
        prompt += int(timings.get("prompt_n", 0)) + int(timings.get("cache_n", 0))
        cached += int(timings.get("cache_n", 0))
        generated += int(timings.get("predicted_n", 0))
        server_ms += float(timings.get("prompt_ms", 0)) + float(timings.get("predicted_ms", 0))
    return {
        "wall_s": wall,
        "prompt": prompt,
        "cached": cached,
        "generated": generated,
        "server_s": server_ms / 1000,
        "requests": len(copy.history),
    }


def run(config: str, lm, points, concurrency: int) -> dict:
    factory = parse_config(config)
    started = time.perf_counter()
    if concurrency <= 1:
        rows = [one_decision(factory, lm, p) for p in points]
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures = [
                pool.submit(contextvars.copy_context().run, one_decision, factory, lm, p) for p in points
            ]
            rows = [f.result() for f in futures]
    wall = time.perf_counter() - started
    n = len(rows)
    total = lambda key: sum(r[key] for r in rows)
    return {
        "config": config,
        "concurrency": concurrency,
        "points": n,
        "wall_s": wall,
        "per_min": 60 * n / wall,
        "prompt": total("prompt") / n,
        "cached_share": total("cached") / max(1, total("prompt")),
        "generated": total("generated") / n,
        "stack_over_server": total("wall_s") / max(1e-9, total("server_s")),
        "requests": total("requests") / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--domain", default="airline")
    parser.add_argument("--points", type=int, default=12)
    parser.add_argument("--configs", default="react,fama:dce+mem")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    lm = make_lm(args.model, cache=False)
    points = iter_decision_points(args.domain, "train")[: args.points]
    results = [run(c, lm, points, k) for c in args.configs.split(",") for k in args.concurrency]
    base = results[0]["per_min"]
    table = Table(title=f"{len(points)} {args.domain} train decision points, {args.model}, DSPy cache off")
    for column in (
        "config",
        "conc.",
        "decisions/min",
        "× baseline",
        "LM requests/dec",
        "prompt tok/dec",
        "served from cache",
        "gen tok/dec",
        "stack / server time",
    ):
        table.add_column(column, justify="left" if column == "config" else "right")
    for r in results:
        table.add_row(
            r["config"],
            str(r["concurrency"]),
            f"{r['per_min']:.2f}",
            f"{r['per_min'] / base:.2f}",
            f"{r['requests']:.1f}",
            f"{r['prompt']:.0f}",
            f"{r['cached_share']:.0%}",
            f"{r['generated']:.0f}",
            f"{r['stack_over_server']:.2f}",
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    main()

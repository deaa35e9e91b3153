"""Throughput of real decisions on the embedded server: decisions per minute, tokens, stack overhead.

    python scripts/throughput.py --model local --points 12 --concurrency 1 2 \\
        --configs "react,fama:dce+mem" --speculative off,ngram,draft \\
        --layouts per-signature,shared-prefix --parallel 4 2

On a fixed set of τ² decision points (the first N of a domain's train split), each configuration
answers every point at each concurrency level and prompt layout (``--layouts``: the shared domain
prefix or DSPy's per-signature order, ``fama_dspy.adapters.PROMPT_LAYOUTS``), on each server variant
(``--speculative``: the embedded server started once per speculative decoding mode, and per slot
count with ``--parallel``), with DSPy's
response cache off (every request reaches the server). Printed per (server, layout, configuration,
concurrency): served decisions per
minute and its ratio to the first row (the baseline, measured in the same run), prompt tokens per
decision and the share the server served from its prompt cache, generated tokens per decision, our
stack's time over the server's own timings for the same requests (wall time of each LM call
against llama-server's ``prompt_ms + predicted_ms``), the draft acceptance rate, and how many
answers are identical to the same configuration's and layout's on the first server variant
(speculative decoding must not change greedy answers; temperature 0 on a server with parallel
slots is not fully repeatable either, so compare with the off-vs-off noise of an earlier run). A benchmark prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import contextvars
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import dspy
from rich.console import Console
from rich.table import Table

from fama_dspy.adapters import prompt_layout
from fama_dspy.bench.agents import resolve_agent
from fama_dspy.bench.configs import parse_config_spec
from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points
from fama_dspy.lm import make_lm, parse_local
from fama_dspy.prompt_cache import prime_prompt_cache
from fama_dspy.serving.server import local_server


def parse_config(text: str):
    """An item of ``fama bench --configs`` (``react``, ``react@json``, ``fama:dce+mem``, …) → agent factory."""
    return resolve_agent(parse_config_spec(text).agent_spec()).factory


def one_decision(factory, lm, point) -> dict:
    """Answer one point on a private LM copy, so its history holds exactly this decision's requests."""
    copy = lm.copy()
    started = time.perf_counter()
    with dspy.context(lm=copy):
        factory()(state=point.state)
    wall = time.perf_counter() - started
    prompt = cached = generated = drafted = accepted = 0
    server_ms = 0.0
    answers = []
    for entry in copy.history:
        timings = getattr(entry.get("response"), "timings", None) or {}
        prompt += int(timings.get("prompt_n", 0)) + int(timings.get("cache_n", 0))
        cached += int(timings.get("cache_n", 0))
        generated += int(timings.get("predicted_n", 0))
        drafted += int(timings.get("draft_n", 0))
        accepted += int(timings.get("draft_n_accepted", 0))
        server_ms += float(timings.get("prompt_ms", 0)) + float(timings.get("predicted_ms", 0))
        answers.append(str(entry.get("outputs")))
    return {
        "point": point.id,
        "wall_s": wall,
        "prompt": prompt,
        "cached": cached,
        "generated": generated,
        "drafted": drafted,
        "accepted": accepted,
        "server_s": server_ms / 1000,
        "requests": len(copy.history),
        "answers": answers,
    }


def run(config: str, lm, points, concurrency: int, layout: str) -> dict:
    with prompt_layout(layout):
        return _run(config, lm, points, concurrency)


def _run(config: str, lm, points, concurrency: int) -> dict:
    factory = parse_config(config)
    started = time.perf_counter()
    if concurrency <= 1:
        rows = [one_decision(factory, lm, p) for p in points]
    else:
        # As the bench does: the shared domain block is prefilled once, not once per empty slot.
        prime_prompt_cache(lm, [p.state for p in points])
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures = [
                pool.submit(contextvars.copy_context().run, one_decision, factory, lm, p) for p in points
            ]
            rows = [f.result() for f in futures]
    wall = time.perf_counter() - started
    n = len(rows)
    total = lambda key: sum(r[key] for r in rows)
    return {
        "rows": rows,
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
        "acceptance": total("accepted") / total("drafted") if total("drafted") else None,
    }


def lm_for_variant(model: str, speculative: str, parallel: int | None, stack: ExitStack):
    """An uncached LM on the embedded server started with ``speculative`` decoding and ``parallel`` slots
    (a running server is reused only for the default slot count)."""
    name = parse_local(model)
    if name is None:
        if speculative != "off" or parallel:
            raise SystemExit(
                "--speculative and --parallel apply to the embedded server (--model local[:<model>])"
            )
        return make_lm(model, cache=False)
    slots = {"parallel": parallel, "reuse": False} if parallel else {}
    info = stack.enter_context(local_server(name, speculative=speculative, **slots))
    return make_lm(f"openai/{name}", api_base=info.api_base, cache=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="local")
    parser.add_argument("--domain", default="airline")
    parser.add_argument("--split", default="train", help="train | test | base (mock has one split)")
    parser.add_argument("--points", type=int, default=12)
    parser.add_argument("--configs", default="react,fama:dce+mem")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--speculative",
        default="off",
        help="comma-separated server variants: off, ngram, draft (the first is the reference for answers)",
    )
    parser.add_argument(
        "--parallel",
        type=int,
        nargs="+",
        default=[0],
        help="server slot counts to compare (0 = the server's default, reusing a running server)",
    )
    parser.add_argument(
        "--layouts",
        default="shared-prefix",
        help="comma-separated prompt layouts: shared-prefix, per-signature",
    )
    args = parser.parse_args()
    points = iter_decision_points(args.domain, args.split)[: args.points]
    console = Console(width=200)
    results = []
    servers = [(spec, slots) for spec in args.speculative.split(",") for slots in args.parallel]
    for speculative, slots in servers:
        variant = speculative if not slots else f"{speculative} ×{slots} slots"
        with ExitStack() as stack:  # one server variant at a time: they share the two cores
            lm = lm_for_variant(args.model, speculative, slots, stack)
            for c in args.configs.split(","):
                for layout in args.layouts.split(","):
                    for k in args.concurrency:
                        r = {"server": variant, "layout": layout, **run(c, lm, points, k, layout)}
                        results.append(r)
                        console.print(
                            f"{variant} {layout} {c} ×{k}: {r['per_min']:.2f} decisions/min, "
                            f"{r['cached_share']:.0%} cached, {r['generated']:.0f} gen tok/dec"
                        )
    reference = {}
    for r in results:
        answers = {row["point"]: row["answers"] for row in r["rows"]}
        ref = reference.setdefault((r["config"], r["layout"], r["concurrency"]), answers)
        r["same"] = sum(answers[p] == ref.get(p) for p in answers)
    base = results[0]["per_min"]
    table = Table(
        title=f"{len(points)} {args.domain} {args.split} decision points, {args.model}, DSPy cache off"
    )
    for column in (
        "server",
        "layout",
        "config",
        "conc.",
        "decisions/min",
        "× baseline",
        "LM requests/dec",
        "prompt tok/dec",
        "served from cache",
        "gen tok/dec",
        "stack / server time",
        "draft accepted",
        "answers = first server",
    ):
        table.add_column(column, justify="left" if column in ("server", "layout", "config") else "right")
    for r in results:
        table.add_row(
            r["server"],
            r["layout"],
            r["config"],
            str(r["concurrency"]),
            f"{r['per_min']:.2f}",
            f"{r['per_min'] / base:.2f}",
            f"{r['requests']:.1f}",
            f"{r['prompt']:.0f}",
            f"{r['cached_share']:.0%}",
            f"{r['generated']:.0f}",
            f"{r['stack_over_server']:.2f}",
            "-" if r["acceptance"] is None else f"{r['acceptance']:.0%}",
            f"{r['same']}/{r['points']}",
        )
    console.print(table)


if __name__ == "__main__":
    main()

"""Latency of one ~2k-token request through the full stack, cold and warm, next to the server's timing.

Run: ``python -m fama_dspy.serving.latency [--models qwen2.5-coder-0.5b qwen2.5-coder-1.5b]``.
Cold = a prompt whose prefix the server has never seen; warm = the same long prefix with a new
final question (what an agent's next turn looks like), so the server reuses its prompt cache.
Prints wall time (DSPy → LiteLLM → server) and the server's own prompt/generation timings.
"""

from __future__ import annotations

import argparse
import time
import uuid

from rich.console import Console
from rich.table import Table

from fama_dspy.lm import make_lm
from fama_dspy.serving.models import DEFAULT_MODEL, FAST_MODEL
from fama_dspy.serving.server import local_server

_POLICY_LINE = (
    "Policy rule {i}: the agent must verify the user's identity, confirm every write action "
    "explicitly, and never invent booking or order identifiers.\n"
)


def long_prompt(target_tokens: int = 2000) -> str:
    # ~28 tokens per line with Qwen's tokenizer; the nonce makes the prefix unseen by any cache.
    lines = [f"Session {uuid.uuid4()}\n"] + [_POLICY_LINE.format(i=i) for i in range(target_tokens // 28)]
    return "".join(lines)


def measure(model: str, max_tokens: int = 32) -> list[dict]:
    rows = []
    with local_server(model, reuse=True):
        lm = make_lm(f"local:{model}", cache=False, max_tokens=max_tokens)
        prefix = long_prompt()
        for label, question in (
            ("cold", "Summarise rule 3 in one sentence."),
            ("warm", "Summarise rule 7 in one sentence."),
        ):
            started = time.perf_counter()
            lm(messages=[{"role": "system", "content": prefix}, {"role": "user", "content": question}])
            wall = time.perf_counter() - started
            response = lm.history[-1]["response"]
            timings = getattr(response, "timings", None) or {}
            rows.append(
                {
                    "model": model,
                    "request": label,
                    "wall_s": round(wall, 2),
                    "prompt_tokens": response.usage.prompt_tokens,
                    "cached_tokens": timings.get("cache_n"),
                    "server_prompt_s": round(timings.get("prompt_ms", 0) / 1000, 2),
                    "server_gen_s": round(timings.get("predicted_ms", 0) / 1000, 2),
                    "gen_tokens": timings.get("predicted_n"),
                }
            )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=[FAST_MODEL, DEFAULT_MODEL])
    args = parser.parse_args(argv)
    table = Table(title="~2k-token request: full stack vs server timing")
    columns = [
        "model",
        "request",
        "wall_s",
        "prompt_tokens",
        "cached_tokens",
        "server_prompt_s",
        "server_gen_s",
        "gen_tokens",
    ]
    for col in columns:
        table.add_column(col)
    for model in args.models:
        for row in measure(model):
            table.add_row(*(str(row[c]) for c in columns))
    Console(width=160).print(table)


if __name__ == "__main__":
    main()

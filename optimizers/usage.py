"""LM usage of a block of code, cache hits included: how many calls it made, how many reached the
model, and an estimate of the tokens its configuration costs.

Why two counters: DSPy's response cache answers a repeated request (same prompt, same settings)
without a server round trip, so the calls a program *makes* and the requests a server *receives*
differ. A DSPy callback sees every ``LM.__call__``, hits included (``calls``); DSPy's usage
tracker only records usage for calls that were not cache hits (``served``). The hit rate is
``1 - served / calls``. A server that reports no usage would have its calls counted as hits;
llama-server and the LiteLLM providers report usage.

Tokens for cost terms are estimated from the characters of every prompt and completion (4 chars
per token), hits included, so a configuration costs the same whether or not its calls were cached.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import dspy
from dspy.utils.callback import BaseCallback
from dspy.utils.usage_tracker import UsageTracker

from fama_dspy.lm_calls import output_text

CHARS_PER_TOKEN = 4


@dataclass
class UsageReport:
    calls: int = 0
    served: int = 0
    prompt_chars: int = 0
    completion_chars: int = 0

    @property
    def cache_hits(self) -> int:
        return max(self.calls - self.served, 0)

    @property
    def hit_rate(self) -> float | None:
        return self.cache_hits / self.calls if self.calls else None

    @property
    def est_tokens(self) -> int:
        return (self.prompt_chars + self.completion_chars) // CHARS_PER_TOKEN

    def add(self, other: UsageReport) -> None:
        self.calls += other.calls
        self.served += other.served
        self.prompt_chars += other.prompt_chars
        self.completion_chars += other.completion_chars

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "cache_hits": self.cache_hits,
            "hit_rate": self.hit_rate,
            "est_tokens": self.est_tokens,
        }


def _prompt_chars(inputs: dict[str, Any]) -> int:
    messages = inputs.get("messages") or []
    total = len(inputs.get("prompt") or "")
    for m in messages:
        content = m.get("content") if isinstance(m, dict) else None
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(len(part.get("text", "")) for part in content if isinstance(part, dict))
    return total


class UsageMeter(BaseCallback):
    """Counts LM calls and their prompt / completion characters (cache hits included)."""

    def __init__(self) -> None:
        self.report = UsageReport()
        self._lock = threading.Lock()

    def on_lm_start(self, call_id, instance, inputs):
        chars = _prompt_chars(inputs or {})
        with self._lock:
            self.report.calls += 1
            self.report.prompt_chars += chars

    def on_lm_end(self, call_id, outputs, exception=None):
        if exception is None and outputs:
            chars = sum(len(output_text(o)) for o in outputs)
            with self._lock:
                self.report.completion_chars += chars


class SharedUsageTracker(UsageTracker):
    """A usage tracker that DSPy's parallel executor does not copy.

    ``dspy.Evaluate`` / ``ParallelExecutor`` (GEPA's and MIPROv2's evaluations with several
    threads) deep-copy the settings' usage tracker into each worker thread, so an outer tracker
    never sees the workers' usage: measured, a GEPA run of 44 calls reported 4 served. This one
    is shared by all threads instead, with a lock.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def __deepcopy__(self, memo: dict) -> SharedUsageTracker:
        return self

    def add_usage(self, lm: str, usage_entry: dict[str, Any]) -> None:
        with self._lock:
            super().add_usage(lm, usage_entry)


@contextmanager
def measure_lm_usage() -> Iterator[UsageReport]:
    """Measure the LM usage of the block; the yielded report is complete when the block exits.

    Works across worker threads that copy the caller's context (as FamaAgent's specialists do).
    """
    meter = UsageMeter()
    tracker = SharedUsageTracker()
    with dspy.context(callbacks=[*(dspy.settings.get("callbacks") or []), meter], usage_tracker=tracker):
        yield meter.report
    meter.report.served = sum(len(entries) for entries in tracker.usage_data.values())
    parent = dspy.settings.usage_tracker
    if parent is not None:  # what dspy.track_usage does on exit: roll up into the enclosing tracker
        for lm, entries in tracker.usage_data.items():
            parent.usage_data[lm].extend(entries)

"""Count the LM calls of one block of code, and keep their raw outputs.

A DSPy callback sees every ``LM.__call__`` (cache hits included) and lives in the block's DSPy
settings, so it follows the work into threads that copy the caller's context and never mixes
calls of two decisions that run at the same time (the LM's own history would).
"""

from __future__ import annotations

import contextvars
import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dspy
from dspy.utils.callback import BaseCallback

#: The recorders of the block the current code runs in (a context variable: threads that copy the
#: caller's context see them, concurrent decisions do not share them).
_ACTIVE: contextvars.ContextVar[tuple[LMCallRecorder, ...]] = contextvars.ContextVar(
    "fama_lm_recorders", default=()
)


class _TruncationHandler(logging.Handler):
    """DSPy reports a completion cut by ``max_tokens`` only as a log warning; count it per block."""

    def emit(self, record: logging.LogRecord) -> None:
        if "truncated" in record.getMessage():
            for recorder in _ACTIVE.get():
                recorder.note_truncation()


_handler_lock = threading.Lock()
_handler_installed = False


def _install_truncation_handler() -> None:
    global _handler_installed
    with _handler_lock:
        if not _handler_installed:
            logging.getLogger("dspy.clients.lm").addHandler(_TruncationHandler(level=logging.WARNING))
            _handler_installed = True


class LMCallRecorder(BaseCallback):
    """Counts LM calls, keeps each call's outputs in completion order, and counts truncated completions."""

    def __init__(self) -> None:
        self.calls = 0
        self.outputs: list[Any] = []
        self._lock = threading.Lock()
        self._truncated_calls: set[str] = set()
        self._current = threading.local()

    def on_lm_start(self, call_id, instance, inputs):
        with self._lock:
            self.calls += 1
        self._current.call_id = call_id

    def note_truncation(self) -> None:
        # DSPy may warn twice for one completion: count each LM call once.
        with self._lock:
            self._truncated_calls.add(
                getattr(self._current, "call_id", None) or f"unknown-{len(self._truncated_calls)}"
            )

    @property
    def truncations(self) -> int:
        return len(self._truncated_calls)

    def on_lm_end(self, call_id, outputs, exception=None):
        if exception is None:
            with self._lock:
                self.outputs.append(outputs)

    def last_text(self) -> str:
        """The last call's first completion as text (tool calls as JSON), or ''."""
        if not self.outputs or not self.outputs[-1]:
            return ""
        return output_text(self.outputs[-1][0])


def output_text(output: Any) -> str:
    if isinstance(output, dict):
        if output.get("tool_calls"):
            return json.dumps(output["tool_calls"], ensure_ascii=False, default=str)
        return output.get("text") or ""
    return "" if output is None else str(output)


@contextmanager
def record_lm_calls() -> Iterator[LMCallRecorder]:
    _install_truncation_handler()
    recorder = LMCallRecorder()
    token = _ACTIVE.set((*_ACTIVE.get(), recorder))
    try:
        with dspy.context(callbacks=[*(dspy.settings.get("callbacks") or []), recorder]):
            yield recorder
    finally:
        _ACTIVE.reset(token)


def total_usage(tracker) -> dict[str, int]:
    """Prompt/completion tokens summed over models from a ``dspy.track_usage()`` tracker.

    The tracker counts what the server reported; cache hits report nothing, so tokens can be
    fewer than ``lm_calls`` suggests.
    """
    totals: dict[str, int] = {}
    for usage in tracker.get_total_tokens().values():
        for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
            if isinstance(usage.get(key), int):
                totals[key] = totals.get(key, 0) + usage[key]
    return totals


def served_calls(tracker) -> int:
    """Calls of a ``dspy.track_usage()`` block that reached the model: DSPy records no usage for a
    response-cache hit, so ``lm_calls - served_calls`` is the number of cache hits."""
    return sum(len(entries) for entries in tracker.usage_data.values())


def prompt_cache_stats(history: list[dict]) -> dict[str, float]:
    """How much of the prompt the server served from its cache, over an LM's history.

    llama-server reports ``timings.cache_n`` (prompt tokens reused from its cache) with every
    response; LiteLLM keeps it on the response object. DSPy cache hits never reached the server
    and are left out (DSPy records them with empty usage).
    """
    requests = prompt = cached = 0
    for entry in history:
        response = entry.get("response")
        timings = getattr(response, "timings", None) if response is not None else None
        if not isinstance(timings, dict) or not entry.get("usage"):
            continue
        requests += 1
        prompt += int(timings.get("cache_n", 0)) + int(timings.get("prompt_n", 0))
        cached += int(timings.get("cache_n", 0))
    return {
        "requests": requests,
        "prompt_tokens": prompt,
        "cached_tokens": cached,
        "cached_share": cached / prompt if prompt else 0.0,
    }

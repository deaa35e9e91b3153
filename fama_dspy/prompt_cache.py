"""Prime a server's prompt cache with each domain block before concurrent work starts.

With the shared-prefix layout (``adapters.PROMPT_LAYOUTS``) every predictor's prompt opens with the
domain block (policy, then tools). Requests that start together on empty server slots would each
prefill that block — about 2.6k tokens on τ² airline, a minute of both cores per slot on the
embedded server. One request holding the block alone, answered before the others start, leaves it
in the server's prompt cache. Engines that share cached prefixes across requests (vLLM, SGLang)
then serve it to every concurrent request; llama-server keeps it in the primed slot only, so of
requests that start together one is served from it and each other slot still prefills the block
once (measured: 1 of 4).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from fama_dspy.adapters import current_prompt_layout, domain_block
from fama_dspy.conversation import DecisionState, render_tools

logger = logging.getLogger("fama_dspy.prompt_cache")


def domain_blocks(states: Iterable[DecisionState]) -> list[str]:
    """The distinct domain blocks of ``states``, in first-seen order (usually one per domain)."""
    blocks: list[str] = []
    for state in states:
        block = domain_block({"policy": state.policy, "tools": render_tools(state.tools)})
        if block not in blocks:
            blocks.append(block)
    return blocks


class _OwnTruncationFilter(logging.Filter):
    """Drops DSPy's truncation warning for the priming request's one token, in this thread only."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return not (threading.get_ident() == self.thread and "truncated" in record.getMessage())


@contextmanager
def _quiet_truncation() -> Iterator[None]:
    dspy_lm_logger = logging.getLogger("dspy.clients.lm")
    quiet = _OwnTruncationFilter()
    dspy_lm_logger.addFilter(quiet)
    try:
        yield
    finally:
        dspy_lm_logger.removeFilter(quiet)


def prime_prompt_cache(lm, states: Iterable[DecisionState]) -> int:
    """Send each domain block of ``states`` once (one generated token, DSPy's cache bypassed).

    Returns the number of blocks sent. Does nothing under the per-signature layout (no shared
    prefix) or without a DSPy LM. Priming only saves time: a failure is logged in one line and the run
    goes on (its own requests report a dead endpoint properly).
    """
    import dspy

    if not isinstance(lm, dspy.BaseLM) or current_prompt_layout() != "shared-prefix":
        return 0
    blocks = domain_blocks(states)
    uncached = lm.copy(cache=False)
    sent = 0
    with _quiet_truncation():  # one token is the whole point, not a cut answer
        for block in blocks:
            try:
                uncached.forward(
                    messages=[{"role": "system", "content": block}], max_tokens=1, temperature=0.0
                )
            except Exception as exc:  # noqa: BLE001 - an optimisation must never stop a run
                logger.warning("prompt-cache priming skipped (%s: %s)", type(exc).__name__, str(exc)[:200])
                return sent
            sent += 1
    return sent

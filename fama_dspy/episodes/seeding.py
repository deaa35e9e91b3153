"""Distinct trials in every benchmark's episode runner: the trial seed reaches the agent and the user.

At temperature > 0 trial ``i`` must be a new sample, not a replay of trial 0 from DSPy's response
cache. The bench wraps a fama-dspy agent so its calls run on an LM copy with ``rollout_id`` =
the trial seed once the agent is told the seed (``set_seed``); τ²'s orchestrator tells it, our
own runners (ACEBench, τ-trait) tell it through ``seed_agent``. LM-driven simulated users get
their own copy through ``trial_lm``. Without this, an episode of trial 1 that starts after the
same task's trial 0 replays it call for call (seen: 30 of 30 cache hits, identical scores).
"""

from __future__ import annotations

from typing import Any


def seed_agent(agent: Any, seed: int | None) -> Any:
    """Tell ``agent`` its trial seed when it takes one (``set_seed``); return it."""
    if seed is not None and callable(getattr(agent, "set_seed", None)):
        agent.set_seed(seed)
    return agent


def trial_lm(lm: Any, seed: int | None) -> Any:
    """``lm`` for one trial: a copy with ``rollout_id`` = ``seed`` when it samples (temperature > 0)."""
    temperature = (getattr(lm, "kwargs", None) or {}).get("temperature")
    if lm is None or seed is None or not temperature or not callable(getattr(lm, "copy", None)):
        return lm
    return lm.copy(rollout_id=seed)

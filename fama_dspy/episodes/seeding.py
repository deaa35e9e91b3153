"""Distinct trials in every benchmark's episode runner: the trial seed reaches the agent and the user.

At temperature > 0 trial ``i`` must be a new sample, not a replay of trial 0 from DSPy's response
cache. The bench wraps a fama-dspy agent so its calls run on an LM copy with ``rollout_id`` =
the trial seed once the agent is told the seed (``set_seed``); τ²'s orchestrator tells it, our
own runners (ACEBench, τ-trait) tell it through ``seed_agent``. LM-driven simulated users get
their own copy through ``trial_lm``. Without this, an episode of trial 1 that starts after the
same task's trial 0 replays it call for call (seen: 30 of 30 cache hits, identical scores).

The runners also name the episode's task (``set_task``; ``task_id`` below), and the rollout id
mixes it in: two tasks can open with the same prompt (ACEBench pairs tasks that share a question
and differ in their start state), and keyed by the seed alone the later one replays the earlier
one's samples until their tool results differ (seen: 12 decisions of one task served from its twin).
"""

from __future__ import annotations

import hashlib
from typing import Any


def rollout_id(seed: int | None, task_id: str | None = None) -> int | None:
    """The response-cache key of one episode's samples: the trial seed, mixed with the task when known."""
    if seed is None or task_id is None:
        return seed
    return int(hashlib.sha256(f"{task_id}\x00{seed}".encode()).hexdigest()[:15], 16)


def seed_agent(agent: Any, seed: int | None, task_id: str | None = None) -> Any:
    """Tell ``agent`` its task and trial seed when it takes them (``set_task``, ``set_seed``); return it."""
    if task_id is not None and callable(getattr(agent, "set_task", None)):
        agent.set_task(task_id)
    if seed is not None and callable(getattr(agent, "set_seed", None)):
        agent.set_seed(seed)
    return agent


def trial_lm(lm: Any, seed: int | None, task_id: str | None = None) -> Any:
    """``lm`` for one episode: a copy with the episode's ``rollout_id`` when it samples (temperature > 0)."""
    temperature = (getattr(lm, "kwargs", None) or {}).get("temperature")
    if lm is None or seed is None or not temperature or not callable(getattr(lm, "copy", None)):
        return lm
    return lm.copy(rollout_id=rollout_id(seed, task_id))

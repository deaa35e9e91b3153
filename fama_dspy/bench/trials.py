"""Distinct samples per trial at temperature > 0.

Each episode's fama-dspy agent calls use a ``rollout_id`` made of the trial's seed and the
episode's task, so DSPy's response cache neither replays trial 0 in later trials, nor mixes
trials, nor serves one task the samples of another that opened with the same prompt; τ²'s
reference agent gets the seed through τ²'s own ``set_seed``. At temperature 0 a deterministic server gives the same answer every
trial (the bench warns).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from fama_dspy.episodes.seeding import rollout_id


class TrialRollouts:
    """One copy of an LM per rollout id (see the module docstring).

    Copies are kept so the bench can add up their histories (server prompt-cache statistics).
    """

    def __init__(self) -> None:
        self._copies: dict[tuple[int, int], Any] = {}
        self._lock = threading.Lock()

    def lm_for(self, lm, rollout: int):
        with self._lock:
            key = (id(lm), rollout)
            if key not in self._copies:
                self._copies[key] = lm.copy(rollout_id=rollout)
            return self._copies[key]

    def copies(self) -> list:
        with self._lock:
            return list(self._copies.values())


class TrialSampledAgent:
    """Wraps a fama-dspy agent: the runner names the episode's task (``set_task``), τ²'s orchestrator
    or our runners hand it the trial seed (``set_seed``), and every decision then runs on the LM
    copy for that episode's rollout id."""

    def __init__(self, agent: Any, rollouts: TrialRollouts):
        self.agent = agent
        self.rollouts = rollouts
        self.seed: int | None = None
        self.task_id: str | None = None

    def set_task(self, task_id: str) -> None:
        self.task_id = str(task_id)

    def set_seed(self, seed: int) -> None:
        self.seed = seed
        if callable(getattr(self.agent, "set_seed", None)):
            self.agent.set_seed(seed)

    def __call__(self, state):
        import dspy

        lm = dspy.settings.lm
        if self.seed is None or lm is None:
            return self.agent(state=state)
        with dspy.context(lm=self.rollouts.lm_for(lm, rollout_id(self.seed, self.task_id))):
            return self.agent(state=state)


def sampled_agent_factory(factory: Callable[[], Any], rollouts: TrialRollouts) -> Callable[[], Any]:
    """``factory`` whose agents run every episode on that episode's rollout (``TrialSampledAgent``)."""
    return lambda: TrialSampledAgent(factory(), rollouts)

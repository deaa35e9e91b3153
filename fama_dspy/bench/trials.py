"""Distinct samples per trial at temperature > 0.

Each trial's fama-dspy agent calls use ``rollout_id`` = the trial's seed, so DSPy's response cache
neither replays trial 0 in later trials nor mixes trials; τ²'s reference agent gets the seed
through τ²'s own ``set_seed``. At temperature 0 a deterministic server gives the same answer every
trial (the bench warns).
"""

from __future__ import annotations

import threading
from typing import Any


class TrialRollouts:
    """One copy of an LM per trial seed, with ``rollout_id`` = seed (see the module docstring).

    Copies are kept so the bench can add up their histories (server prompt-cache statistics).
    """

    def __init__(self) -> None:
        self._copies: dict[tuple[int, int], Any] = {}
        self._lock = threading.Lock()

    def lm_for(self, lm, seed: int):
        with self._lock:
            key = (id(lm), seed)
            if key not in self._copies:
                self._copies[key] = lm.copy(rollout_id=seed)
            return self._copies[key]

    def copies(self) -> list:
        with self._lock:
            return list(self._copies.values())


class TrialSampledAgent:
    """Wraps a fama-dspy agent: τ²'s orchestrator hands it the trial seed (``set_seed``), and every
    decision then runs on the LM copy for that seed."""

    def __init__(self, agent: Any, rollouts: TrialRollouts):
        self.agent = agent
        self.rollouts = rollouts
        self.seed: int | None = None

    def set_seed(self, seed: int) -> None:
        self.seed = seed
        if callable(getattr(self.agent, "set_seed", None)):
            self.agent.set_seed(seed)

    def __call__(self, state):
        import dspy

        lm = dspy.settings.lm
        if self.seed is None or lm is None:
            return self.agent(state=state)
        with dspy.context(lm=self.rollouts.lm_for(lm, self.seed)):
            return self.agent(state=state)

"""PLN: an ordered plan of the remaining steps (against early stopping and half-served requests)."""

from __future__ import annotations

import dspy

from fama_dspy.conversation import DecisionState, render_tools
from fama_dspy.signatures.planning import PlanSteps
from fama_dspy.specialists.base import LMSpecialist, clean_items, transcript


class Planner(LMSpecialist):
    code = "pln"
    title = "Plan of remaining steps (PLN)"
    mitigates = ("CM", "IFU")

    def __init__(self, adapter: dspy.Adapter | None = None, max_steps: int = 6):
        super().__init__(adapter)
        self.max_steps = max_steps
        self.plan = dspy.Predict(PlanSteps)

    def forward(self, state: DecisionState) -> dspy.Prediction:
        pred, error = self.ask(
            self.plan, policy=state.policy, tools=render_tools(state.tools), conversation=transcript(state)
        )
        steps = clean_items(pred.steps, self.max_steps) if pred else []
        lines = [f"{i}. {s}" for i, s in enumerate(steps, 1)]
        return dspy.Prediction(
            section=self.section(lines), steps=steps, parse_failures=int(bool(error)), error=error
        )

"""DCE: a checklist of the policy rules that bind the next step (against domain policy violations)."""

from __future__ import annotations

import dspy

from fama_dspy.conversation import DecisionState
from fama_dspy.signatures.constraints import ExtractConstraints
from fama_dspy.specialists.base import LMSpecialist, clean_items, transcript


class DomainConstraintExtractor(LMSpecialist):
    code = "dce"
    title = "Policy checklist (DCE)"
    mitigates = ("DPV",)

    def __init__(self, adapter: dspy.Adapter | None = None, max_rules: int = 5):
        super().__init__(adapter)
        self.max_rules = max_rules
        self.extract = dspy.Predict(ExtractConstraints)

    def forward(self, state: DecisionState) -> dspy.Prediction:
        pred, error = self.ask(self.extract, policy=state.policy, conversation=transcript(state))
        rules = clean_items(pred.rules, self.max_rules) if pred else []
        return dspy.Prediction(
            section=self.section([f"- [ ] {r}" for r in rules]),
            rules=rules,
            parse_failures=int(bool(error)),
            error=error,
        )

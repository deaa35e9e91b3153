"""TOR: the last long tool output reduced to what matters now (against wrong retrieval)."""

from __future__ import annotations

import dspy

from fama_dspy.conversation import DecisionState
from fama_dspy.signatures.tool_output import ReformatToolOutput
from fama_dspy.specialists.base import LMSpecialist, clean_items, transcript
from fama_dspy.specialists.tunable import Tunable


class ToolOutputReformatter(LMSpecialist):
    """Runs only when a tool answered since the last user turn with at least ``min_chars`` characters:
    a short output is read fine as it is, and an LLM call for it would only cost time."""

    code = "tor"
    title = "Key facts from the last tool output (TOR)"
    mitigates = ("WRCO",)
    # ``min_chars`` already decides on which turns it runs, so tuning sets that rather than a gate.
    tune_gate = False
    tunables = (Tunable("tor_min_chars", "int", default=400, arg="min_chars", low=200, high=3000, log=True),)

    def __init__(self, adapter: dspy.Adapter | None = None, min_chars: int = 400, max_facts: int = 8):
        super().__init__(adapter)
        self.min_chars = min_chars
        self.max_facts = max_facts
        self.reformat = dspy.Predict(ReformatToolOutput)

    def forward(self, state: DecisionState) -> dspy.Prediction:
        output = state.last_tool_output()
        if output is None or len(output.content) < self.min_chars:
            return dspy.Prediction(section="", facts=[], parse_failures=0, error="")
        # The full output is its own input, so the transcript only needs a glimpse of tool results.
        pred, error = self.ask(
            self.reformat, conversation=transcript(state, max_tool_chars=200), tool_output=output.content
        )
        facts = clean_items(pred.facts, self.max_facts) if pred else []
        lines = [f"From {output.tool_name or 'the tool'}:"] + [f"- {f}" for f in facts] if facts else []
        return dspy.Prediction(
            section=self.section(lines), facts=facts, parse_failures=int(bool(error)), error=error
        )

"""TSA: which tool(s) fit the next step, and why (against misread intent and wrong tools)."""

from __future__ import annotations

import dspy

from fama_dspy.conversation import DecisionState, render_tools
from fama_dspy.signatures.tool_suggestion import SuggestTools
from fama_dspy.specialists.base import LMSpecialist, clean_items, transcript


class ToolSuggester(LMSpecialist):
    code = "tsa"
    title = "Suggested tools (TSA)"
    mitigates = ("CM",)

    def __init__(self, adapter: dspy.Adapter | None = None, max_tools: int = 2):
        super().__init__(adapter)
        self.max_tools = max_tools
        self.suggest = dspy.Predict(SuggestTools)

    def forward(self, state: DecisionState) -> dspy.Prediction:
        pred, error = self.ask(
            self.suggest,
            policy=state.policy,
            available_tools=render_tools(state.tools),
            conversation=transcript(state),
        )
        # Invented names would plant exactly the error this specialist is meant to prevent.
        tools = (
            [t for t in clean_items(pred.tools, len(state.tools)) if state.tool(t)][: self.max_tools]
            if pred
            else []
        )
        why = " ".join((pred.why or "").split()) if pred and tools else ""
        lines = [f"- {t}" for t in tools] + ([f"Why: {why}"] if why else [])
        return dspy.Prediction(
            section=self.section(lines), tools=tools, why=why, parse_failures=int(bool(error)), error=error
        )

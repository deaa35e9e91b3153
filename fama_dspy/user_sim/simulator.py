"""The customer's next turn as a DSPy module, for any benchmark that needs a simulated user.

Small models slide into the agent's role when they play the customer (docs/design.md §8), so the
turn is a typed signature (``signatures/user_simulator.py``) that sees the scenario as the
customer's own notes, and a reply that is empty or sounds like the agent (``user_role``) is
re-asked once with a correction. A benchmark adapter (e.g. τ²'s ``FamaUser``) renders the
transcript from the customer's side and turns the typed ``status`` into its own stop signals.
"""

from __future__ import annotations

from typing import Any

import dspy

from fama_dspy.signatures.user_simulator import UserTurn, UserTurnWithDevice
from fama_dspy.user_sim.user_role import user_role_issues

IN_ROLE_CORRECTION = (
    "Your reply sounded like the support agent ({problem}). You are the customer: write what the customer "
    "says next to the agent about your own request."
)
EMPTY_CORRECTION = "Your reply was empty. Write the customer's next message (or run a device tool if asked)."
FALLBACK_REPLY = "Sorry, I did not follow. What do you need from me?"


class SimulatedUser(dspy.Module):
    """One customer turn; with ``device_tools`` the customer may run a device tool instead of writing.

    JSON adapter by default: docs/design.md §8 measured silent garbage from small models with DSPy's chat format.
    """

    def __init__(self, adapter: dspy.Adapter | None = None):
        super().__init__()
        self.adapter = adapter or dspy.JSONAdapter()
        self.turn = dspy.Predict(UserTurn)
        self.turn_with_device = dspy.Predict(UserTurnWithDevice)

    def forward(self, scenario: str, conversation: str, device_tools: str | None = None, agent_texts=()):
        correction = None
        retries = 0
        pred = None
        for attempt in range(2):
            inputs: dict[str, Any] = {"scenario": scenario, "conversation": conversation}
            if correction:
                inputs["correction"] = correction
            with dspy.context(adapter=self.adapter):
                if device_tools:
                    pred = self.turn_with_device(device_tools=device_tools, **inputs)
                else:
                    pred = self.turn(**inputs)
            message = (pred.message or "").strip()
            if device_tools and (pred.get("tool_name") or "").strip():
                break
            issues = user_role_issues(
                [
                    *({"role": "assistant", "content": t} for t in agent_texts),
                    {"role": "user", "content": message},
                ]
            )
            if message and not issues:
                break
            problem = issues[0].split("] ", 1)[-1] if issues else ""
            correction = IN_ROLE_CORRECTION.format(problem=problem) if message else EMPTY_CORRECTION
            retries = attempt + 1
        return dspy.Prediction(
            message=(pred.message or "").strip(),
            status=pred.status,
            tool_name=(pred.get("tool_name") or "").strip(),
            tool_arguments=pred.get("tool_arguments") or "{}",
            retries=retries,
        )

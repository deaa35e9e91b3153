"""DCE — domain constraints extractor: the policy rules that bind the agent's next step."""

from __future__ import annotations

import dspy


class ExtractConstraints(dspy.Signature):
    """From the policy, pick the rules that apply to the agent's next step in this conversation
    (authentication, eligibility, required confirmation, limits). Quote or tighten them; skip the rest."""

    policy: str = dspy.InputField()
    conversation: str = dspy.InputField(desc="transcript so far, oldest first")
    rules: list[str] = dspy.OutputField(desc="at most 5 short rules, most important first")

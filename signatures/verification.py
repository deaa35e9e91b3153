"""VER — verifier: checks a proposed action before it is executed."""

from __future__ import annotations

from typing import Literal

import dspy


class VerifyAction(dspy.Signature):
    """Check the agent's proposed next action against the policy, the conversation and the tool results.
    FAIL it if it breaks a rule, uses an id or value not grounded in the conversation, repeats a call
    whose result is already known, or acts before the needed lookups or user confirmation."""

    policy: str = dspy.InputField()
    tools: str = dspy.InputField(desc="name(arg: type, * = required) - description")
    conversation: str = dspy.InputField(desc="transcript so far, oldest first")
    proposed_action: str = dspy.InputField()
    verdict: Literal["PASS", "FAIL"] = dspy.OutputField()
    reason: str = dspy.OutputField(desc="one sentence; for FAIL, what to do instead")

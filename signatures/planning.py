"""PLN — planner: the ordered steps still needed to finish every user request."""

from __future__ import annotations

import dspy


class PlanSteps(dspy.Signature):
    """List the remaining steps to fully handle every request of the user under the policy, in order.
    Each step names the tool to call or what to ask or tell the user. Leave out steps already done."""

    policy: str = dspy.InputField()
    tools: str = dspy.InputField(desc="name(arg: type, * = required) - description")
    conversation: str = dspy.InputField(desc="transcript so far, oldest first")
    steps: list[str] = dspy.OutputField(desc="at most 6 short steps; empty when everything is done")

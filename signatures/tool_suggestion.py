"""TSA — tool suggestion agent: which tool(s) fit the next step."""

from __future__ import annotations

import dspy


class SuggestTools(dspy.Signature):
    """Suggest which of the available tools the agent should call next to serve the user, following the
    policy (look things up before acting). Suggest nothing if the agent should just reply."""

    policy: str = dspy.InputField()
    available_tools: str = dspy.InputField(desc="name(arg: type, * = required) - description")
    conversation: str = dspy.InputField(desc="transcript so far, oldest first")
    tools: list[str] = dspy.OutputField(desc="exact tool names, best first, at most 2")
    why: str = dspy.OutputField(desc="one sentence")

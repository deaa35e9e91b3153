"""TOR — tool output reformatter: the few fields of a long tool result that matter now."""

from __future__ import annotations

import dspy


class ReformatToolOutput(dspy.Signature):
    """Extract from the tool output the facts the agent needs for the user's current request.
    Copy ids, names, prices, dates and statuses exactly; drop everything else."""

    conversation: str = dspy.InputField(desc="transcript so far, oldest first")
    tool_output: str = dspy.InputField(desc="the latest tool result, in full")
    facts: list[str] = dspy.OutputField(desc="short 'field: value' lines, at most 8")

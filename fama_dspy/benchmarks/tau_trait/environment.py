"""A τ-trait domain as a ``ToolEnvironment``: tools called by name on a fresh copy of the domain's data.

A call goes through the tool class's own ``invoke(data, **arguments)``, exactly as τ-trait's
environment steps a tool action, and its result is the text τ-trait shows the agent: the tool's
return value, ``Error: <exception>`` when it raises, ``Unknown action <name>`` for a tool the
domain does not have. Arguments reach it only after the episode driver validated them against the
tool's schema; model output is never evaluated as code.

How an episode ends is the loop's business (``episodes.py``): τ-trait ends when the user says
``###STOP###`` (our simulated customer's non-'continue' status) or when the agent calls one of the
domain's terminate tools (the driver's stop tool).
"""

from __future__ import annotations

from typing import Any

from fama_dspy.benchmarks.tau_trait.data import Domain
from fama_dspy.conversation import ToolCall
from fama_dspy.episodes import ToolResult


def invoke_tool(
    tools: dict[str, type], data: dict[str, Any], name: str, arguments: dict[str, Any]
) -> ToolResult:
    """One tool call on ``data`` (changed in place), with τ-trait's observation text.

    ``error`` marks results τ-trait produces for a failed call (an exception, an unknown tool) and
    results the tool itself reports as an error (text starting with ``Error``); the text is unchanged.
    """
    tool = tools.get(name)
    if tool is None:
        return ToolResult(f"Unknown action {name}", error=True)
    try:
        observation = tool.invoke(data=data, **arguments)
    except Exception as exc:  # noqa: BLE001 - τ-trait turns any tool exception into its observation
        return ToolResult(f"Error: {exc}", error=True)
    text = observation if isinstance(observation, str) else str(observation)
    return ToolResult(text, error=text.startswith("Error"))


class TauTraitEnvironment:
    """One episode's database: a fresh copy of the domain's data, changed by the agent's tool calls."""

    def __init__(self, domain: Domain):
        self.domain = domain
        self.data = domain.fresh_data()
        self.calls: list[ToolCall] = []

    def execute(self, call: ToolCall) -> ToolResult:
        self.calls.append(call)
        return invoke_tool(self.domain.tools, self.data, call.name, dict(call.arguments))

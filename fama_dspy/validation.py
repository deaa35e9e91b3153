"""Check a proposed action against the available tools *before* anything executes it.

Small models invent tool names and arguments; executing those wastes a step or corrupts state.
A failed check is returned to the agent as a tool error instead (and counted by the harness).
"""

from __future__ import annotations

import jsonschema

from fama_dspy.conversation import ToolSpec
from fama_dspy.signatures.action import AgentAction


def validate_action(action: AgentAction, tools: list[ToolSpec], solo: bool = False) -> str | None:
    """Return a short error text the agent can act on, or None if the action is executable."""
    if action.kind == "message":
        if solo:
            return "You cannot write to the user in this task: call a tool (or `done` when finished)."
        if not action.message.strip():
            return "Your message to the user is empty."
        return None
    if not action.tool_name.strip():
        return "The tool name is empty. Call one of the listed tools by its exact name."
    spec = next((t for t in tools if t.name == action.tool_name), None)
    if spec is None:
        names = ", ".join(t.name for t in tools)
        return f"Unknown tool '{action.tool_name}'. Available tools: {names}."
    if not isinstance(action.arguments, dict):
        return f"Arguments of {action.tool_name} must be a JSON object."
    try:
        jsonschema.validate(action.arguments, spec.parameters)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "arguments"
        return f"Invalid arguments for {action.tool_name} ({where}): {exc.message}"
    except jsonschema.SchemaError:
        # A tool's own schema is broken: let the environment decide rather than block the call.
        return None
    return None

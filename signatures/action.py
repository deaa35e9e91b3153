"""The typed next action of a tool-use agent: one tool call, or one message to the user.

Kept flat (no unions, no nesting beyond a dict of arguments) because small models fill flat JSON
objects reliably and DSPy's JSONAdapter can enforce this schema.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class AgentAction(BaseModel):
    """What the agent does next."""

    kind: Literal["tool_call", "message"] = Field(
        description="'tool_call' to call one tool, 'message' to write to the user"
    )
    tool_name: str = Field(default="", description="exact tool name when kind is 'tool_call', else ''")
    arguments: dict[str, Any] = Field(
        default_factory=dict, description="tool arguments as a JSON object when kind is 'tool_call'"
    )
    message: str = Field(default="", description="text for the user when kind is 'message', else ''")

    def short(self) -> str:
        """One-line rendering used in prompts, traces and reports."""
        if self.kind == "tool_call":
            import json

            return f"{self.tool_name}({json.dumps(self.arguments, sort_keys=True, ensure_ascii=False)})"
        return f"say: {self.message}"


class SoloToolCall(BaseModel):
    """The next action in solo mode, where the only possible action is a tool call.

    A separate type because a small model given the choice writes messages to a user who is not
    there (measured: most solo decisions of the 1.5B model were rejected messages); without a
    ``kind`` field it cannot make that mistake.
    """

    tool_name: str = Field(description="exact name of the tool to call")
    arguments: dict[str, Any] = Field(default_factory=dict, description="argument values as a JSON object")

    def as_action(self) -> AgentAction:
        return AgentAction(kind="tool_call", tool_name=self.tool_name, arguments=self.arguments)

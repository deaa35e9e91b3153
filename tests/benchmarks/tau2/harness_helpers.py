"""Scripted agents (no LLM) that satisfy the agent contract, for harness tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fama_dspy.signatures.action import AgentAction

from fama_dspy.conversation import DecisionState


@dataclass
class Decision:
    action: AgentAction
    info: dict[str, Any] = field(default_factory=dict)


class ScriptedAgent:
    """Returns the scripted actions in order (an Exception item is raised instead); remembers each state."""

    def __init__(self, script: list[Any], repeat_last: bool = True):
        self.script = list(script)
        self.repeat_last = repeat_last
        self.states: list[DecisionState] = []

    def __call__(self, state: DecisionState) -> Decision:
        self.states.append(state)
        index = len(self.states) - 1
        if index >= len(self.script):
            if not self.repeat_last:
                raise IndexError("script exhausted")
            index = len(self.script) - 1
        item = self.script[index]
        if isinstance(item, BaseException):
            raise item
        return Decision(
            action=item,
            info={
                "lm_calls": 1,
                "usage": {"prompt_tokens": 10, "completion_tokens": 2},
                "specialists": ["MEM"],
                "parse_failures": 0,
            },
        )


def call(name: str, **arguments: Any) -> AgentAction:
    return AgentAction(kind="tool_call", tool_name=name, arguments=arguments)


def say(text: str) -> AgentAction:
    return AgentAction(kind="message", message=text)

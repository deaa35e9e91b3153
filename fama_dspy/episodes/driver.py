"""Drive any fama-dspy agent one decision at a time, keeping the episode alive whatever it answers.

An agent is any callable ``agent(state=DecisionState) -> obj`` with ``obj.action`` an
``AgentAction`` and an optional ``obj.info``. Each decision:
- the action is validated against the live tool schemas *before* anything executes it;
- an invalid action stays in the agent's own view with the error as a tool result, and the agent
  is asked again, at most ``max_reasks`` times; then a safe fallback is used (a clarification
  question, or the stop tool in solo mode);
- an exception from the agent is recorded and the fallback is used, except a refused connection
  to the model server, which ends the run (``results.fatal``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fama_dspy.conversation import DecisionState, Message, ToolCall, ToolSpec
from fama_dspy.results.decision_log import Attempt, DecisionRecord, read_output
from fama_dspy.results.fatal import is_endpoint_failure
from fama_dspy.signatures.action import AgentAction
from fama_dspy.validation import validate_action

FALLBACK_MESSAGE = (
    "I'm sorry, I could not work out the next step. Could you please clarify what you would like me to do?"
)
DEFAULT_MAX_REASKS = 2


def action_message(action: AgentAction, call_id: str) -> Message:
    """The agent's action as a message of its own view."""
    if action.kind == "tool_call":
        return Message(
            role="assistant",
            tool_calls=[ToolCall(name=action.tool_name, arguments=action.arguments, id=call_id)],
        )
    return Message(role="assistant", content=action.message)


class AgentDriver:
    """One agent in one episode: its view, its decisions (``DecisionRecord``), validation and re-asks."""

    def __init__(
        self,
        agent: Callable[..., Any],
        tools: list[ToolSpec],
        policy: str = "",
        *,
        ticket: str | None = None,
        solo: bool = False,
        stop_tool: str | None = None,
        max_reasks: int = DEFAULT_MAX_REASKS,
        view: list[Message] | None = None,
    ):
        if solo and stop_tool is None:
            raise ValueError("a solo episode needs a stop tool (the agent has no other way to end)")
        self.agent = agent
        self.tools = list(tools)
        self.policy = policy
        self.ticket = ticket
        self.solo = solo
        self.stop_tool = stop_tool
        self.max_reasks = max_reasks
        self.view: list[Message] = list(view or [])
        self.decisions: list[DecisionRecord] = []

    def state(self) -> DecisionState:
        return DecisionState(
            policy=self.policy, tools=self.tools, messages=list(self.view), ticket=self.ticket
        )

    def fallback_action(self) -> AgentAction:
        if self.solo:
            return AgentAction(kind="tool_call", tool_name=self.stop_tool, arguments={})
        return AgentAction(kind="message", message=FALLBACK_MESSAGE)

    def decide(self) -> AgentAction:
        """The next valid action (or the fallback); appended to the view and recorded."""
        attempts: list[Attempt] = []
        action: AgentAction | None = None
        for _ in range(1 + self.max_reasks):
            started = time.perf_counter()
            try:
                candidate, info = read_output(self.agent(state=self.state()))
            except Exception as exc:
                if is_endpoint_failure(exc):
                    raise
                attempts.append(
                    Attempt(latency_s=time.perf_counter() - started, exception=f"{type(exc).__name__}: {exc}")
                )
                break
            attempt = Attempt(
                action=candidate.model_dump(), info=info, latency_s=time.perf_counter() - started
            )
            attempts.append(attempt)
            error = validate_action(candidate, self.tools, solo=self.solo)
            if error is None:
                action = candidate
                break
            attempt.validation_error = error
            self._show_rejection(candidate, error)
        fallback = action is None
        action = action or self.fallback_action()
        self.decisions.append(
            DecisionRecord.from_attempts(len(self.decisions), action.model_dump(), attempts, fallback)
        )
        self.view.append(action_message(action, call_id=f"call_{len(self.view)}"))
        return action

    def _show_rejection(self, action: AgentAction, error: str) -> None:
        """The rejected attempt and its error stay in the agent's view (never in the environment)."""
        self.view.append(action_message(action, call_id=f"rejected_{len(self.view)}"))
        name = action.tool_name if action.kind == "tool_call" else "message"
        self.view.append(
            Message(role="tool", tool_name=name, error=True, content=f"Error: {error} (not executed)")
        )

    def observe_tool_result(self, tool_name: str, content: str, error: bool = False) -> None:
        self.view.append(Message(role="tool", tool_name=tool_name, content=content, error=error))

    def observe_user(self, text: str) -> None:
        self.view.append(Message(role="user", content=text))

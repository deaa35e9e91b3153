"""Gold replay: a scripted agent and a scripted user that together perform a task's gold actions.

No LLM anywhere, so scoring a gold replay through the runner is a deterministic end-to-end test
of the harness: it must reach reward 1.0 (docs/design.md §5).

What the evaluator needs, and how the replay provides it:
- DB / env assertions: the gold tool calls, in gold order, including the *user's* device actions
  (telecom). In interactive mode the agent asks the user (a message starting with
  ``REQUEST_MARKER``) and the scripted user runs its next block of gold user actions as its own
  tool calls; in solo mode the agent calls the user's tools itself (τ²'s solo environment routes
  them to the user's device).
- COMMUNICATE: τ² checks that each ``communicate_info`` string occurs (case-insensitively, commas
  removed from the message) in some assistant *text* message, so the final message quotes them.
- ACTION: gold calls match on name and the compared arguments; the replay sends them verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tau2.data_model.message import MultiToolMessage, ToolCall, ToolMessage, UserMessage
from tau2.data_model.tasks import Action, Task
from tau2.user.base import STOP, UserState, ValidUserInputMessage

from fama_dspy.benchmarks.tau2.agent import STOP_TOOL
from fama_dspy.benchmarks.tau2.convert import new_tool_call_id
from fama_dspy.benchmarks.tau2.tasks import reason_for_call
from fama_dspy.benchmarks.tau2.user_base import HarnessUser
from fama_dspy.conversation import DecisionState
from fama_dspy.signatures.action import AgentAction

REQUEST_MARKER = "Please perform"
DONE_REPLY = "Done."


def gold_actions(task: Task) -> list[Action]:
    return list((task.evaluation_criteria.actions if task.evaluation_criteria else None) or [])


def user_action_blocks(task: Task) -> list[list[Action]]:
    """Consecutive runs of gold *user* actions; each run is requested by one agent message."""
    blocks: list[list[Action]] = []
    previous = None
    for action in gold_actions(task):
        if action.requestor == "user":
            if previous != "user":
                blocks.append([])
            blocks[-1].append(action)
        previous = action.requestor
    return blocks


def final_message(task: Task) -> str:
    info = (task.evaluation_criteria.communicate_info if task.evaluation_criteria else None) or []
    if info:
        return "Here is a summary: " + "; ".join(info) + "."
    return "Your request has been handled."


def gold_plan(task: Task, solo: bool = False) -> list[AgentAction]:
    """The agent's side of the replay, in order."""
    plan: list[AgentAction] = []
    pending_user: list[Action] = []

    def flush_user_block() -> None:
        if pending_user:
            calls = ", ".join(a.get_func_format() for a in pending_user)
            plan.append(
                AgentAction(kind="message", message=f"{REQUEST_MARKER} on your device, in order: {calls}")
            )
            pending_user.clear()

    for action in gold_actions(task):
        if action.requestor == "user" and not solo:
            pending_user.append(action)
            continue
        flush_user_block()
        plan.append(AgentAction(kind="tool_call", tool_name=action.name, arguments=dict(action.arguments)))
    flush_user_block()
    if solo:
        plan.append(AgentAction(kind="tool_call", tool_name=STOP_TOOL, arguments={}))
    else:
        plan.append(AgentAction(kind="message", message=final_message(task)))
    return plan


@dataclass
class GoldDecision:
    action: AgentAction
    info: dict[str, Any] = field(default_factory=dict)


class GoldReplayAgent:
    """Follows the agent contract; replays ``gold_plan`` one action per decision, then repeats its end."""

    def __init__(self, task: Task, solo: bool = False):
        self.plan = gold_plan(task, solo)
        self.step = 0

    def __call__(self, state: DecisionState) -> GoldDecision:
        index = min(self.step, len(self.plan) - 1)
        self.step += 1
        return GoldDecision(action=self.plan[index], info={"gold_step": index, "lm_calls": 0})


class ScriptedUser(HarnessUser):
    """A no-LLM user: states the reason for the call, runs the gold user actions when asked, then stops.

    Any agent message that is not a request (``REQUEST_MARKER``) ends the conversation, so this
    user is only meaningful with the gold replay agent or with scripted test agents.
    """

    def __init__(self, task: Task, tools: list | None = None):
        super().__init__(instructions=str(task.user_scenario), llm=None)
        self.tools = tools
        self.opener = reason_for_call(task) or "Hello, I need help."
        self.blocks = user_action_blocks(task)
        self.pending: list[Action] = []
        self.spoke = False

    def generate_next_message(
        self, message: ValidUserInputMessage, state: UserState
    ) -> tuple[UserMessage, UserState]:
        if isinstance(message, MultiToolMessage):
            state.messages.extend(message.tool_messages)
        else:
            state.messages.append(message)
        reply = self._reply(message)
        state.messages.append(reply)
        return reply, state

    def _reply(self, message: ValidUserInputMessage) -> UserMessage:
        if not self.spoke:
            self.spoke = True
            return _text(self.opener)
        if isinstance(message, (ToolMessage, MultiToolMessage)):
            return self._next_tool_call() or _text(DONE_REPLY)
        if REQUEST_MARKER in (message.content or "") and self.blocks:
            self.pending = list(self.blocks.pop(0))
            return self._next_tool_call() or _text(DONE_REPLY)
        return _text(STOP)

    def _next_tool_call(self) -> UserMessage | None:
        if not self.pending:
            return None
        action = self.pending.pop(0)
        call = ToolCall(
            id=new_tool_call_id(), name=action.name, arguments=dict(action.arguments), requestor="user"
        )
        return UserMessage(role="user", tool_calls=[call], cost=0.0)


def _text(content: str) -> UserMessage:
    return UserMessage(role="user", content=content, cost=0.0)

"""fama-dspy's own user simulator: a DSPy module behind τ²'s ``BaseUser`` interface.

Why not τ²'s ``UserSimulator``: with small models it slides into the agent's role (docs/design.md §8).
This one uses a typed signature (``signatures/user_simulator.py``), shows the transcript with the
agent's lines labelled, gives the model its scenario as the customer's first-person notes,
re-asks once when a reply is empty or sounds like the agent, and turns
the typed ``status`` into τ²'s stop tokens (``###STOP###``, ``###TRANSFER###``,
``###OUT-OF-SCOPE###``), which τ²'s orchestrator checks on every user message.

The first turn is the task's opening request when it has a safe one (``tasks.opening_request``:
the first sentence of τ²'s "reason for call", in the first person); measured with the 1.5B model,
a generated first turn answered the agent's greeting as the agent ("Hello! I'm here to help"), and
the episode never recovered. The whole "reason for call" is not copied: it often holds what the
customer must not say ("do not reveal it to the agent"). Without a safe sentence the model writes
the first turn too.
"""

from __future__ import annotations

import json
from copy import deepcopy
from typing import Any

import dspy
from tau2.data_model.message import (
    AssistantMessage,
    MultiToolMessage,
    ToolCall,
    ToolMessage,
    UserMessage,
)
from tau2.data_model.message import (
    Message as Tau2Message,
)
from tau2.environment.tool import Tool
from tau2.user.base import OUT_OF_SCOPE, STOP, TRANSFER, UserState, ValidUserInputMessage

from fama_dspy.benchmarks.tau2.convert import new_tool_call_id, tool_to_spec
from fama_dspy.benchmarks.tau2.user_base import HarnessUser
from fama_dspy.results.fatal import is_endpoint_failure
from fama_dspy.user_sim.simulator import FALLBACK_REPLY, SimulatedUser
from fama_dspy.user_sim.voice import first_person

STATUS_TOKENS = {"done": STOP, "transferred": TRANSFER, "out_of_scope": OUT_OF_SCOPE}


def render_user_view(messages: list[Tau2Message]) -> str:
    """The transcript from the customer's side: the agent's texts, the user's own turns and tool results."""
    lines = []
    for m in messages:
        if isinstance(m, AssistantMessage) and m.has_text_content():
            lines.append(f"agent: {m.content}")
        elif isinstance(m, UserMessage):
            if m.is_tool_call():
                calls = "; ".join(f"{c.name}({json.dumps(c.arguments)})" for c in m.tool_calls)
                lines.append(f"you ran on your device: {calls}")
            elif m.has_text_content():
                lines.append(f"you: {m.content}")
        elif isinstance(m, ToolMessage) and m.requestor == "user":
            lines.append(f"device result: {m.content}")
    return "\n".join(lines) if lines else "(the chat has not started)"


def _parse_arguments(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


class FamaUser(HarnessUser):
    """τ²'s user interface around ``SimulatedUser``.

    Constructor arguments mirror τ²'s ``UserSimulator`` (so τ²'s registry can build it); ``lm`` is
    the ``dspy.LM`` to use (default: ``dspy.settings.lm``, or one built from ``llm``/``llm_args``).
    """

    def __init__(
        self,
        tools: list[Tool] | None = None,
        instructions: Any = None,
        llm: str | None = None,
        llm_args: dict | None = None,
        lm: dspy.LM | None = None,
        module: SimulatedUser | None = None,
        opener: str | None = None,
    ):
        super().__init__(instructions=instructions, llm=llm, llm_args=llm_args)
        self.tools = tools or None
        if lm is None and llm:
            lm = dspy.LM(llm, engine="litellm", **deepcopy(self.llm_args))
        self.lm = lm
        self.module = module or SimulatedUser()
        #: The scenario as the customer's own notes ("My user id is …"), so an agent asking for "your user
        #: id" is not read as asking about itself. The 1.5B model still mixes them up at times (measured:
        #: "I don't have your user id"); the role check flags that turn.
        self.scenario = first_person(str(instructions or ""))
        #: The customer's first message, said as is while the conversation has no user turn yet.
        self.opener = (opener or "").strip() or None
        self.turns = 0
        self.retries = 0
        self.failures: list[str] = []
        self.usage = {"prompt_tokens": 0, "completion_tokens": 0}

    @property
    def device_tools(self) -> str | None:
        if not self.tools:
            return None
        return "\n".join(tool_to_spec(t).signature_line() for t in self.tools)

    def stats(self) -> dict[str, Any]:
        """For the episode record: turns, re-asks, failed turns (answered with a fallback), tokens."""
        return {
            "turns": self.turns,
            "retries": self.retries,
            "failures": list(self.failures),
            "usage": dict(self.usage),
        }

    def generate_next_message(
        self, message: ValidUserInputMessage, state: UserState
    ) -> tuple[UserMessage, UserState]:
        if isinstance(message, MultiToolMessage):
            state.messages.extend(message.tool_messages)
        else:
            state.messages.append(message)
        reply = self._reply(state)
        state.messages.append(reply)
        return reply, state

    def _reply(self, state: UserState) -> UserMessage:
        self.turns += 1
        if self.opener and not any(isinstance(m, UserMessage) for m in state.messages):
            return UserMessage(role="user", content=self.opener, cost=0.0)
        agent_texts = [
            m.content for m in state.messages if isinstance(m, AssistantMessage) and m.has_text_content()
        ]
        try:
            with (
                dspy.context(**({"lm": self.lm} if self.lm is not None else {})),
                dspy.track_usage() as tracker,
            ):
                pred = self.module(
                    scenario=self.scenario,
                    conversation=render_user_view(state.messages),
                    device_tools=self.device_tools,
                    agent_texts=agent_texts,
                )
        except Exception as exc:
            if is_endpoint_failure(exc):
                raise
            self.failures.append(f"{type(exc).__name__}: {exc}"[:300])
            return UserMessage(role="user", content=FALLBACK_REPLY, cost=0.0)
        usage = _usage(tracker)
        for k in self.usage:
            self.usage[k] += usage[k]
        self.retries += pred.retries
        tool_names = {t.name for t in self.tools or []}
        if pred.tool_name and pred.tool_name in tool_names:
            call = ToolCall(
                id=new_tool_call_id(),
                name=pred.tool_name,
                arguments=_parse_arguments(pred.tool_arguments),
                requestor="user",
            )
            return UserMessage(role="user", tool_calls=[call], cost=0.0, usage=usage)
        text = pred.message or FALLBACK_REPLY
        token = STATUS_TOKENS.get(str(pred.status))
        if token:
            text = f"{text}\n{token}"
        return UserMessage(role="user", content=text, cost=0.0, usage=usage)


def _usage(tracker) -> dict[str, int]:
    totals = {"prompt_tokens": 0, "completion_tokens": 0}
    for usage in tracker.get_total_tokens().values():
        for key in totals:
            if isinstance(usage.get(key), int):
                totals[key] += usage[key]
    return totals


def register_user_with_tau2() -> None:
    """Make the user visible to τ²'s registry as ``fama_user`` (idempotent)."""
    from tau2.registry import registry

    if "fama_user" not in registry.get_users():
        registry.register_user(FamaUser, "fama_user")

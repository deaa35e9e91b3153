"""Helpers for the optimizer tests: an LM engine that answers from the prompt, and small examples.

Unlike the scripted LM (answers in a fixed order), ``RuleEngine`` lets the answer depend on what
the prompt says, so a tuned instruction can change an answer: that is what the optimizers need.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import dspy
from conftest import POLICY, TOOLS
from dspy.lm15 import Message as LMMessage
from dspy.lm15 import Response, TextPart, Usage
from fama_dspy.signatures.action import AgentAction
from scripted_lm import ROLE_MARKERS, _message_dict, action_reply, json_reply

from fama_dspy.conversation import DecisionState, Message, ToolCall

#: The rule a "good" instruction carries; the engine's agent follows the policy only when it sees it.
MAGIC = "LOOKUP-BEFORE-CHANGE"
GOOD_INSTRUCTION = f"Always look an order up with get_order before any change to it (the {MAGIC} rule)."


@dataclass
class Seen:
    role: str
    system: str
    text: str


@dataclass
class RuleEngine:
    """``answer(role, system, text) -> reply``; records every request it receives."""

    answer: Callable[[str, str, str], str]
    calls: list[Seen] = field(default_factory=list)
    supported_params = frozenset(
        {"response_format", "tools", "tool_choice", "temperature", "max_tokens", "stop"}
    )

    def __post_init__(self):
        self._lock = threading.Lock()

    def complete(self, request):
        system = (
            request.system
            if isinstance(request.system, str)
            else "".join(p.text for p in request.system or ())
        )
        text = "\n".join(m["content"] for m in (_message_dict(m) for m in request.messages))
        role = next((r for r, marker in ROLE_MARKERS if marker in system), "unknown")
        with self._lock:
            self.calls.append(Seen(role, system, text))
        reply = self.answer(role, system, text)
        return Response(
            id=None,
            model=request.model,
            message=LMMessage.assistant([TextPart(reply)]),
            finish_reason="stop",
            usage=Usage(input_tokens=100, output_tokens=10),
        )

    def of(self, role: str) -> list[Seen]:
        return [c for c in self.calls if c.role == role]


def rule_lm(answer, cache: bool = False, model: str = "rule/test") -> tuple[dspy.LM, RuleEngine]:
    engine = RuleEngine(answer)
    return dspy.LM(model, engine=engine, cache=cache, num_retries=0), engine


def order_ids(text: str) -> list[str]:
    return re.findall(r"#W\d+", text)


def policy_agent(role: str, system: str, text: str) -> str:
    """An agent that looks the order up first only when its instructions carry the MAGIC rule;
    otherwise it cancels at once. Specialists answer fixed, valid outputs."""
    if role == "agent":
        order = order_ids(text)[-1]
        tool = "get_order" if MAGIC in system else "cancel_order"
        return action_reply(kind="tool_call", tool_name=tool, arguments={"order_id": order})
    if role == "dce":
        return json_reply(rules=["Authenticate first"])
    if role == "tsa":
        return json_reply(tools=["get_order"], why="look it up")
    if role == "pln":
        return json_reply(steps=["Look up", "Cancel"])
    if role == "tor":
        return json_reply(facts=["status: pending"])
    if role == "ver":
        return json_reply(verdict="PASS", reason="fine")
    # Reflection / proposal models: GEPA's proposer reads `new_instruction`, MIPROv2's `proposed_instruction`.
    return json.dumps({"new_instruction": GOOD_INSTRUCTION, "proposed_instruction": GOOD_INSTRUCTION})


def cancel_request(i: int) -> dspy.Example:
    """The user asks to cancel order #W{i}; the gold next step is looking it up."""
    state = DecisionState(
        policy=POLICY,
        tools=TOOLS,
        messages=[
            Message(role="user", content=f"Please cancel order #W{i}, I am user u1."),
        ],
    )
    return dspy.Example(
        state=state,
        gold=AgentAction(kind="tool_call", tool_name="get_order", arguments={"order_id": f"#W{i}"}),
        point_id=f"mock/t{i}/0",
        domain="mock",
        task_id=f"t{i}",
        index=0,
        solo=False,
        compare_args=None,
        writes=False,
        derivable=True,
        underivable=[],
    ).with_inputs("state")


def after_lookup(i: int, output: str | None = None) -> dspy.Example:
    """The order was looked up; the gold next step is cancelling it."""
    output = output or json.dumps({"order_id": f"#W{i}", "status": "pending"})
    state = DecisionState(
        policy=POLICY,
        tools=TOOLS,
        messages=[
            Message(role="user", content=f"Please cancel order #W{i}, I am user u1."),
            Message(
                role="assistant",
                tool_calls=[ToolCall(name="get_order", arguments={"order_id": f"#W{i}"}, id="c1")],
            ),
            Message(role="tool", tool_name="get_order", content=output),
            Message(role="assistant", content="Shall I cancel it?"),
            Message(role="user", content="Yes, I confirm."),
        ],
    )
    return dspy.Example(
        state=state,
        gold=AgentAction(kind="tool_call", tool_name="cancel_order", arguments={"order_id": f"#W{i}"}),
        point_id=f"mock/t{i}/1",
        domain="mock",
        task_id=f"t{i}",
        index=1,
        solo=False,
        compare_args=["order_id"],
        writes=True,
        derivable=True,
        underivable=[],
    ).with_inputs("state")

"""Shared fixtures.

- ``real_server``: the real embedded llama-server for tests marked ``real_model``;
- ``state`` / ``fresh_state``: small decision states; ``scripted``: a scripted-LM factory bound
  through ``dspy.context``. Tests never call ``dspy.configure``: a global LM would hide whether
  worker threads got the caller's settings.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path

import dspy
import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).parent))

#: The benchmark checkouts beside the project (ACEBench, τ-trait); tests that need one skip elsewhere.
SHARED_BENCHMARKS = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
for _var, _folder in (("FAMA_ACEBENCH_DIR", "acebench"), ("FAMA_TAU_TRAIT_DIR", "tau-trait")):
    if (SHARED_BENCHMARKS / _folder).is_dir():
        os.environ.setdefault(_var, str(SHARED_BENCHMARKS / _folder))

from fama_dspy.signatures.action import AgentAction
from scripted_lm import scripted_lm

from fama_dspy.conversation import DecisionState, Message, ToolCall, ToolSpec
from fama_dspy.results.decisions import DecisionPoint

FAST_MODEL = "qwen2.5-coder-0.5b"

POLICY = "Authenticate the user by user id before any change. Orders can be cancelled only while pending."
TOOLS = [
    ToolSpec(
        name="get_order",
        description="Look up an order.",
        writes=False,
        parameters={
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    ),
    ToolSpec(
        name="cancel_order",
        description="Cancel a pending order.",
        parameters={
            "type": "object",
            "properties": {"order_id": {"type": "string"}, "reason": {"type": "string"}},
            "required": ["order_id"],
        },
    ),
    ToolSpec(name="done", description="Finish the task.", parameters={"type": "object", "properties": {}}),
]
LONG_OUTPUT = (
    '{"order_id": "#W1", "status": "pending", "items": ['
    + ", ".join(f'{{"item_id": "{i}", "price": {i}.5}}' for i in range(60))
    + "]}"
)


def cancel_point(i: int, order: str | None = None) -> DecisionPoint:
    """A decision point: the user asks to cancel order ``order`` (default ``#W{i}``); the gold next
    step is looking it up."""
    order = order or f"#W{i}"
    state = DecisionState(
        policy=POLICY,
        tools=TOOLS,
        messages=[Message(role="user", content=f"Please cancel order {order}, I am user u1.")],
    )
    return DecisionPoint(
        id=f"mock/t{i}/0",
        domain="mock",
        task_id=f"t{i}",
        index=0,
        solo=False,
        state=state,
        gold=AgentAction(kind="tool_call", tool_name="get_order", arguments={"order_id": order}),
        writes=False,
        derivable=True,
    )


@pytest.fixture
def state() -> DecisionState:
    """A user asked to cancel an order; the agent looked it up and got a long result."""
    return DecisionState(
        policy=POLICY,
        tools=TOOLS,
        messages=[
            Message(role="assistant", content="Hi! How can I help you today?"),
            Message(role="user", content="Please cancel order #W1, I am user u1."),
            Message(
                role="assistant",
                tool_calls=[ToolCall(name="get_order", arguments={"order_id": "#W1"}, id="c1")],
            ),
            Message(role="tool", tool_name="get_order", content=LONG_OUTPUT),
        ],
    )


@pytest.fixture
def fresh_state() -> DecisionState:
    """Only the user's first request: no tool output yet."""
    return DecisionState(
        policy=POLICY,
        tools=TOOLS,
        messages=[
            Message(role="assistant", content="Hi! How can I help you today?"),
            Message(role="user", content="Where is my order #W1?"),
        ],
    )


@pytest.fixture
def scripted():
    """``scripted(script, delay=0)`` -> engine; the LM is active for the rest of the test."""
    with ExitStack() as stack:

        def make(script, delay: float = 0.0):
            lm, engine = scripted_lm(script, delay)
            stack.enter_context(dspy.context(lm=lm))
            return engine

        yield make


@pytest.fixture(scope="session")
def real_server():
    """One 0.5B server for the session (reused if one is already running)."""
    from fama_dspy.serving.server import local_server

    with local_server(FAST_MODEL, reuse=True, parallel=2, ctx_per_slot=8192) as info:
        yield info

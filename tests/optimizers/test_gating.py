"""FamaAgent's per-turn gates, the cheap activation rules that activation tuning sets."""

import dspy
import pytest
from conftest import TOOLS
from opt_helpers import policy_agent, rule_lm

from fama_dspy.conversation import DecisionState, Message
from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent, gate_open


def run(agent, state):
    lm, engine = rule_lm(policy_agent)
    with dspy.context(lm=lm):
        pred = agent(state=state)
    return pred, sorted({c.role for c in engine.calls})


def test_gates_read_the_last_message(state, fresh_state):
    # `state` ends on a tool result, `fresh_state` on the user's request.
    assert gate_open("always", state) and gate_open("always", fresh_state)
    assert gate_open("tool_result", state) and not gate_open("tool_result", fresh_state)
    assert gate_open("user_turn", fresh_state) and not gate_open("user_turn", state)
    solo_start = DecisionState(policy="p", tools=TOOLS, ticket="Cancel #W1.")
    assert gate_open("user_turn", solo_start) and not gate_open("tool_result", solo_start)
    with pytest.raises(ConfigError, match="Unknown gate"):
        gate_open("sometimes", state)


def test_a_closed_gate_skips_the_specialist_for_that_turn(state, fresh_state):
    agent = FamaAgent(specialists=["dce", "tsa", "pln"], gates={"dce": "user_turn", "pln": "tool_result"})
    pred, roles = run(agent, state)
    assert roles == ["agent", "pln", "tsa"] and pred.info["specialists_gated"] == ["dce"]
    pred, roles = run(agent, fresh_state)
    assert roles == ["agent", "dce", "tsa"] and pred.info["specialists_gated"] == ["pln"]
    assert "## Policy checklist (DCE)" in pred.info["sections"]["dce"]


def test_gates_are_validated_and_saved_with_the_settings():
    with pytest.raises(ConfigError, match="not an active specialist"):
        FamaAgent(specialists=["dce"], gates={"tsa": "user_turn"})
    with pytest.raises(ConfigError, match="VER has no gate"):
        FamaAgent(specialists=["ver"], gates={"ver": "user_turn"})
    with pytest.raises(ConfigError, match="Unknown gate"):
        FamaAgent(specialists=["dce"], gates={"dce": "rarely"})
    agent = FamaAgent(specialists=["DCE", "mem"], gates={"DCE": "tool_result", "mem": "always"})
    assert agent.settings()["gates"] == {"dce": "tool_result"}  # "always" is the default, not stored
    other = FamaAgent(specialists=["dce", "mem"])
    other.load_state(agent.dump_state())
    assert other.gates == {"dce": "tool_result"}


def test_without_gates_every_specialist_runs_every_turn(state):
    pred, roles = run(FamaAgent(specialists=["dce", "pln"]), state)
    assert roles == ["agent", "dce", "pln"] and pred.info["specialists_gated"] == []


def test_messages_after_a_tool_result_close_the_tool_gate(state):
    later = state.model_copy(update={"messages": [*state.messages, Message(role="user", content="Thanks.")]})
    assert not gate_open("tool_result", later) and gate_open("user_turn", later)

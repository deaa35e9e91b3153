import pytest
from fama_dspy.signatures.action import AgentAction
from scripted_lm import json_reply

from fama_dspy.conversation import DecisionState, ToolSpec
from fama_dspy.errors import ConfigError
from fama_dspy.specialists import ActionVerifier
from fama_dspy.specialists.verifier import changes_state, repeats_last_call

CANCEL = AgentAction(kind="tool_call", tool_name="cancel_order", arguments={"order_id": "#W1"})
LOOKUP = AgentAction(kind="tool_call", tool_name="get_order", arguments={"order_id": "#W1"})
SAY = AgentAction(kind="message", message="Shall I cancel it?")


def test_fail_verdict_with_reason(scripted, state):
    engine = scripted({"ver": [json_reply(verdict="FAIL", reason="Ask the user to confirm first.")]})
    pred = ActionVerifier()(state=state, action=CANCEL)
    assert (pred.verdict, pred.reason) == ("FAIL", "Ask the user to confirm first.")
    assert pred.section == "## Verifier check (VER)\nFAIL: Ask the user to confirm first."
    assert 'cancel_order({"order_id": "#W1"})' in engine.calls[0].messages[-1]["content"]


def test_pass_verdict(scripted, state):
    scripted({"ver": [json_reply(verdict="PASS", reason="ok")]})
    assert ActionVerifier()(state=state, action=CANCEL).verdict == "PASS"


def test_an_exact_repeat_fails_without_an_lm_call(scripted, state):
    engine = scripted({})
    verifier = ActionVerifier()
    assert repeats_last_call(state, LOOKUP) and verifier.applies_to(state, LOOKUP)
    pred = verifier(state=state, action=LOOKUP)
    assert pred.verdict == "FAIL" and "repeats your last call" in pred.reason
    assert engine.calls == []


def test_repeats_are_only_exact_and_recent(state, fresh_state):
    assert not repeats_last_call(state, LOOKUP.model_copy(update={"arguments": {"order_id": "#W2"}}))
    assert not repeats_last_call(fresh_state, LOOKUP)
    assert not repeats_last_call(state, SAY)


def test_unreadable_verdict_fails_open(scripted, state):
    scripted({"ver": [json_reply(verdict="MAYBE", reason="?")]})
    pred = ActionVerifier()(state=state, action=CANCEL)
    assert pred.verdict is None and pred.section == "" and pred.parse_failures == 1


def test_what_changes_state():
    tools = [
        ToolSpec(name="get_a", writes=True),
        ToolSpec(name="update_b", writes=False),
        ToolSpec(name="book"),
    ]
    state = DecisionState(policy="", tools=tools)

    def call(name):
        return AgentAction(kind="tool_call", tool_name=name)

    assert changes_state(state, call("get_a"))  # declared writes wins over the name
    assert not changes_state(state, call("update_b"))
    assert changes_state(state, call("book"))
    assert changes_state(state, call("invented_tool"))
    for read in ("get_x", "find_x", "list_x", "search_x", "calculate", "think"):
        assert not changes_state(state, call(read))
    assert not changes_state(state, SAY)


def test_scope_widens_the_check(fresh_state):
    assert ActionVerifier().applies_to(fresh_state, CANCEL)
    assert not ActionVerifier().applies_to(fresh_state, LOOKUP)
    assert not ActionVerifier().applies_to(fresh_state, SAY)
    assert ActionVerifier(scope="tool_calls").applies_to(fresh_state, LOOKUP)
    assert not ActionVerifier(scope="tool_calls").applies_to(fresh_state, SAY)
    assert ActionVerifier(scope="all").applies_to(fresh_state, SAY)
    with pytest.raises(ConfigError, match="writes, tool_calls, all"):
        ActionVerifier(scope="some")

import json

import dspy
import pytest
from fama_dspy.signatures.action import AgentAction
from fama_dspy.signatures.tool_use import FOLLOW_UP_INSTRUCTION
from scripted_lm import action_reply, scripted_lm, tool_call_reply

from fama_dspy.action_parsing import FALLBACK_MESSAGE
from fama_dspy.agent import ToolUseAgent
from fama_dspy.conversation import DecisionState, ToolSpec
from fama_dspy.errors import ConfigError

CANCEL = AgentAction(kind="tool_call", tool_name="cancel_order", arguments={"order_id": "#W1"})
CANCEL_REPLY = action_reply(kind="tool_call", tool_name="cancel_order", arguments={"order_id": "#W1"})


def user_message(call) -> str:
    return call.messages[-1]["content"]


def test_react_decides_a_tool_call(scripted, state):
    engine = scripted({"agent": [CANCEL_REPLY]})
    pred = ToolUseAgent()(state=state)
    assert pred.action == CANCEL
    assert (pred.parse_failures, pred.fallback, pred.fc_text_tool_calls) == (0, False, 0)
    assert pred.raw == CANCEL_REPLY and pred.reasoning == "next step"
    prompt = user_message(engine.calls[0])
    # The policy and tools open the system message (the shared domain block), not the user turn.
    system = engine.calls[0].system
    assert state.policy in system and "cancel_order(order_id: string*, reason: string)" in system
    assert state.policy not in prompt
    assert "[2] user: Please cancel order #W1" not in prompt and "[1] user: Please cancel order #W1" in prompt
    # Empty optional inputs are left out of the prompt entirely.
    for field in ("ticket", "context", "feedback"):
        assert f"[[ ## {field} ## ]]" not in prompt


def test_context_and_feedback_are_shown(scripted, state):
    engine = scripted({"agent": [CANCEL_REPLY]})
    ToolUseAgent()(state=state, context="## Notes (X)\nsay hi", feedback="Check the status first.")
    prompt = user_message(engine.calls[0])
    assert "[[ ## context ## ]]\n## Notes (X)\nsay hi" in prompt
    assert "[[ ## feedback ## ]]\nCheck the status first." in prompt


def test_unparseable_output_is_retried_with_a_hint_on_the_trials_rollout(scripted, state):
    engine = scripted({"agent": ["I think we should cancel it.", CANCEL_REPLY]})
    agent = ToolUseAgent()
    pred = agent(state=state)
    assert pred.action == CANCEL and pred.parse_failures == 1 and not pred.fallback
    assert len(engine.calls) == 2
    assert "could not be parsed" in user_message(engine.calls[1])
    assert "could not be parsed" not in user_message(engine.calls[0])
    lm = dspy.settings.lm
    assert [h["kwargs"].get("rollout_id") for h in lm.history[-2:]] == [None, None]


def test_a_retry_keeps_the_trial_rollout_of_a_sampled_lm(scripted, state):
    import uuid

    engine = scripted({"agent": ["not json", CANCEL_REPLY] * 2})
    # Two trials of one decision, response cache on: each trial's repair must reach the model too.
    base = dspy.settings.lm.copy(cache=True, temperature=0.7)
    first = uuid.uuid4().int % 10**9
    for rollout in (first, first + 1):
        with dspy.context(lm=base.copy(rollout_id=rollout)):
            assert ToolUseAgent()(state=state).action == CANCEL
    assert len(engine.calls) == 4


def test_two_failures_fall_back_to_a_safe_message(scripted, state):
    engine = scripted({"agent": ["not json", "still not json"]})
    pred = ToolUseAgent()(state=state)
    assert pred.action == AgentAction(kind="message", message=FALLBACK_MESSAGE)
    assert pred.parse_failures == 2 and pred.fallback and pred.raw == "still not json"
    assert len(engine.calls) == 2


def test_solo_fallback_ends_the_task(scripted, state):
    scripted({"agent": ["nonsense"]})
    solo = state.model_copy(update={"ticket": "Cancel #W1."})
    assert ToolUseAgent()(state=solo).action == AgentAction(kind="tool_call", tool_name="done")


@pytest.mark.parametrize(
    "bad, problem",
    [
        (action_reply(kind="tool_call", tool_name="", arguments={}), "the tool name is empty"),
        (
            action_reply(
                kind="tool_call",
                tool_name="cancel_order",
                arguments={"order_id": {"type": "string", "description": "id"}},
            ),
            "schema",
        ),
        (action_reply(kind="message", tool_name="cancel_order", message=""), "use kind 'tool_call'"),
    ],
)
def test_degenerate_outputs_count_as_parse_failures(scripted, state, bad, problem):
    engine = scripted({"agent": [bad, CANCEL_REPLY]})
    pred = ToolUseAgent()(state=state)
    assert pred.action == CANCEL and pred.parse_failures == 1
    assert problem in user_message(engine.calls[1])


def test_retry_keeps_the_callers_feedback(scripted, state):
    engine = scripted({"agent": ["???", CANCEL_REPLY]})
    ToolUseAgent()(state=state, feedback="Verifier: confirm first.")
    retry = user_message(engine.calls[1])
    assert "Verifier: confirm first.\nYour previous answer was not a usable action" in retry


def test_reasoning_can_be_turned_off(scripted, state):
    engine = scripted({"agent": ['{"action": {"kind": "message", "message": "Hello"}}']})
    agent = ToolUseAgent(reasoning=False)
    assert agent(state=state).action.message == "Hello"
    assert "`reasoning`" not in engine.calls[0].system


def test_follow_up_prompting_adds_the_instruction(scripted, state):
    engine = scripted({"agent": [CANCEL_REPLY]})
    ToolUseAgent()(state=state)
    ToolUseAgent(follow_up_prompting=True)(state=state)
    assert FOLLOW_UP_INSTRUCTION not in engine.calls[0].system
    assert FOLLOW_UP_INSTRUCTION in engine.calls[1].system


def test_another_adapter_can_be_chosen(scripted, state):
    reply = (
        "[[ ## reasoning ## ]]\nx\n\n[[ ## action ## ]]\n"
        '{"kind": "message", "message": "Hi"}\n\n[[ ## completed ## ]]'
    )
    engine = scripted({"agent": [reply]})
    pred = ToolUseAgent(adapter=dspy.ChatAdapter())(state=state)
    assert pred.action.message == "Hi"
    assert "[[ ## completed ## ]]" in engine.calls[0].system


def test_fc_real_tool_calls(scripted, state):
    engine = scripted({"agent": [tool_call_reply("cancel_order", order_id="#W1")]})
    pred = ToolUseAgent(mode="fc")(state=state)
    assert pred.action == CANCEL and pred.fc_text_tool_calls == 0 and pred.parse_failures == 0
    call = engine.calls[0]
    assert call.tools == ["get_order", "cancel_order", "done"]
    assert [m["role"] for m in call.messages] == ["assistant", "user", "assistant", "tool"]
    assert call.messages[2]["tool_calls"] == ["get_order"]
    assert '"status": "pending"' in call.messages[3]["content"]
    assert state.policy in call.system


def test_fc_json_block_in_text_is_a_tool_call(scripted, state):
    scripted(
        {
            "agent": [
                'Cancelling now.\n```json\n{"name": "cancel_order", "arguments": {"order_id": "#W1"}}\n```'
            ]
        }
    )
    pred = ToolUseAgent(mode="fc")(state=state)
    assert pred.action == CANCEL and pred.fc_text_tool_calls == 1


def test_fc_text_is_a_message(scripted, state):
    scripted({"agent": ["Your order is pending. Shall I cancel it?"]})
    pred = ToolUseAgent(mode="fc")(state=state)
    assert pred.action == AgentAction(kind="message", message="Your order is pending. Shall I cancel it?")


def test_fc_empty_reply_and_nameless_call_are_retried(scripted, state):
    engine = scripted(
        {
            "agent": [
                "",
                '```json\n{"name": "", "arguments": {}}\n```',
                tool_call_reply("cancel_order", order_id="#W1"),
            ]
        }
    )
    agent = ToolUseAgent(mode="fc")
    first = agent(state=state)
    assert first.fallback and first.parse_failures == 2 and first.action.message == FALLBACK_MESSAGE
    assert "could not be parsed" in engine.calls[1].system
    second = agent(state=state)
    assert second.action == CANCEL and second.parse_failures == 0


def test_fc_solo_ticket_opens_the_dialogue(scripted):
    engine = scripted({"agent": [tool_call_reply("done")]})
    solo = DecisionState(policy="p", tools=[ToolSpec(name="done")], ticket="Reset the router.")
    ToolUseAgent(mode="fc")(state=solo)
    assert engine.calls[0].messages[0] == {"role": "user", "content": "Reset the router.", "tool_calls": []}


def test_unknown_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="react, fc"):
        ToolUseAgent(mode="cot")


@pytest.mark.parametrize("mode", ["react", "fc"])
def test_save_load_round_trip(tmp_path, mode):
    agent = ToolUseAgent(mode=mode)
    expected = ["decide", "decide_solo"] if mode == "react" else ["decide"]
    assert [name for name, _ in agent.named_predictors()] == expected
    agent.decide.signature = agent.decide.signature.with_instructions("Tuned instructions.")
    agent.save(tmp_path / "agent.json")
    loaded = ToolUseAgent(mode=mode)
    assert loaded.decide.signature.instructions != "Tuned instructions."
    loaded.load(tmp_path / "agent.json")
    assert loaded.decide.signature.instructions == "Tuned instructions."


def test_solo_react_uses_a_tool_call_only_signature(state):
    """In solo mode the model cannot choose to write to an absent user: its output is a tool call."""
    solo = state.model_copy(update={"ticket": "Create a task for user_1."})
    lm, engine = scripted_lm(
        {"agent": [json.dumps({"reasoning": "r", "call": {"tool_name": "get_users", "arguments": {}}})]}
    )
    with dspy.context(lm=lm):
        pred = ToolUseAgent(mode="react")(state=solo)
    assert pred.action == AgentAction(kind="tool_call", tool_name="get_users", arguments={})
    system = engine.calls[0].system
    assert "`call`" in system and "`action`" not in system

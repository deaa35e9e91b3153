from conftest import LONG_OUTPUT
from scripted_lm import json_reply

from fama_dspy.conversation import Message
from fama_dspy.specialists import ToolOutputReformatter


def test_long_output_is_reduced_to_facts(scripted, state):
    engine = scripted({"tor": [json_reply(facts=["order_id: #W1", "status: pending"])]})
    pred = ToolOutputReformatter()(state=state)
    assert pred.section == (
        "## Key facts from the last tool output (TOR)\nFrom get_order:\n- order_id: #W1\n- status: pending"
    )
    prompt = engine.calls[0].messages[-1]["content"]
    # The full output is passed once, untruncated; the transcript only glimpses it.
    assert LONG_OUTPUT in prompt and prompt.count('"item_id": "59"') == 1


def test_no_call_without_a_tool_output_since_the_last_user_turn(scripted, fresh_state, state):
    engine = scripted({})
    assert ToolOutputReformatter()(state=fresh_state).section == ""
    later = state.model_copy(update={"messages": [*state.messages, Message(role="user", content="thanks")]})
    assert ToolOutputReformatter()(state=later).section == ""
    assert engine.calls == []


def test_short_outputs_are_left_alone(scripted, state):
    engine = scripted({"tor": [json_reply(facts=["x: 1"])]})
    short = state.model_copy(
        update={
            "messages": [*state.messages[:-1], Message(role="tool", tool_name="get_order", content="x" * 399)]
        }
    )
    assert ToolOutputReformatter()(state=short).section == ""
    assert engine.calls == []
    assert ToolOutputReformatter(min_chars=100)(state=short).facts == ["x: 1"]
    assert len(engine.calls) == 1

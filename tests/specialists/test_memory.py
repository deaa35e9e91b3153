import dspy

from fama_dspy.conversation import Message, ToolCall
from fama_dspy.specialists import RequestMemory
from fama_dspy.specialists.memory import tool_calls_with_outcome


def conversation(state):
    return state.model_copy(
        update={
            "messages": [
                *state.messages,
                Message(role="assistant", content="It is pending. Cancel it?"),
                Message(role="user", content="Yes. Also change my address to 1 Main St."),
                Message(
                    role="assistant",
                    tool_calls=[
                        ToolCall(name="cancel_order", arguments={"order_id": "#W1"}),
                        ToolCall(name="update_address", arguments={"address": "1 Main St"}),
                    ],
                ),
                Message(role="tool", tool_name="cancel_order", content="cancelled"),
                Message(role="tool", tool_name="update_address", content="unknown tool", error=True),
            ]
        }
    )


def test_last_k_user_turns_and_own_calls(state):
    with dspy.context(lm=None):  # No LM at all: memory must not need one.
        pred = RequestMemory(k=1, max_ids=0)(state=conversation(state))
    lines = pred.section.splitlines()
    assert lines[0] == "## User requests so far (MEM)"
    assert lines[1] == "- Yes. Also change my address to 1 Main St."
    assert "Please cancel order" not in pred.section
    assert lines[-3:] == [
        '- get_order({"order_id": "#W1"}) -> ok',
        '- cancel_order({"order_id": "#W1"}) -> ok',
        '- update_address({"address": "1 Main St"}) -> error',
    ]


def test_k_and_call_limit(state):
    full = conversation(state)
    assert len(RequestMemory(k=4)(state=full).user_turns) == 2
    assert RequestMemory(k=4, max_calls=1)(state=full).tool_calls == ["update_address"]
    assert RequestMemory(k=0, max_calls=0, max_ids=0)(state=full).section == ""


def test_ids_seen_so_far_with_kind_and_source(state):
    pred = RequestMemory(k=1, max_calls=0, max_ids=3)(state=conversation(state))
    lines = pred.section.splitlines()
    assert "Ids seen so far (use only these; look up or ask for any other):" in lines
    # The most recent three sightings: item ids from the order lookup (#W1 was seen before them).
    assert lines[-3:] == [
        "- 57 (item_id, from get_order)",
        "- 58 (item_id, from get_order)",
        "- 59 (item_id, from get_order)",
    ]
    assert pred.ids_seen == 3


def test_calls_without_results_are_marked(fresh_state):
    pending = fresh_state.model_copy(
        update={
            "messages": [
                *fresh_state.messages,
                Message(role="assistant", tool_calls=[ToolCall(name="get_order", arguments={})]),
            ]
        }
    )
    assert [outcome for _, outcome in tool_calls_with_outcome(pending)] == ["no result"]
    assert RequestMemory().named_predictors() == []

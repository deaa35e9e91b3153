import json

import jsonschema
import pydantic
import pytest
from fama_dspy.signatures.action import AgentAction
from tau2.data_model.message import (
    AssistantMessage,
    MultiToolMessage,
    SystemMessage,
    ToolCall,
    ToolMessage,
    UserMessage,
)

from fama_dspy.benchmarks.tau2.builders import make_environment
from fama_dspy.benchmarks.tau2.convert import (
    action_to_tau2,
    clean_schema,
    dump_message,
    tau2_to_actions,
    tau2_to_view,
    tool_to_spec,
    tools_to_specs,
)
from fama_dspy.benchmarks.tau2.tasks import load_tasks


def _specs(domain):
    env = make_environment(domain)
    return {t.name: (t, tool_to_spec(t)) for t in env.get_tools()}


def test_specs_are_self_contained_and_keep_argument_names():
    specs = _specs("airline")
    book = specs["book_reservation"][1]
    text = json.dumps(book.parameters)
    assert "$ref" not in text and "$defs" not in text and '"title"' not in text
    flight_item = book.parameters["properties"]["flights"]["items"]["anyOf"][0]
    assert flight_item["required"] == ["flight_number", "date"]
    # A property literally named "title" is an argument, not an annotation: it must survive.
    create = _specs("mock")["create_task"][1]
    assert "title" in create.parameters["properties"]
    assert "title" in create.parameters["required"]


def test_writes_follows_tau2_tool_type():
    specs = {name: spec for name, (_, spec) in _specs("airline").items()}
    assert specs["book_reservation"].writes is True
    assert specs["cancel_reservation"].writes is True
    assert specs["get_user_details"].writes is False
    assert specs["calculate"].writes is False  # GENERIC: no state change
    assert specs["transfer_to_human_agents"].writes is False


@pytest.mark.parametrize("domain", ["airline", "retail", "mock"])
def test_converted_schema_accepts_exactly_what_tau2_accepts_on_gold_arguments(domain):
    specs = _specs(domain)
    checked = 0
    for task in load_tasks(domain, num_tasks=15):
        for action in task.evaluation_criteria.actions or []:
            tool, spec = specs[action.name]
            jsonschema.validate(action.arguments, spec.parameters)
            tool.params.model_validate(action.arguments)
            checked += 1
    assert checked > 5
    # A wrong type is rejected by both.
    tool, spec = specs["get_user_details" if domain != "mock" else "create_task"]
    bad = {"user_id": 5} if domain != "mock" else {"user_id": "user_1", "title": 7}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, spec.parameters)
    with pytest.raises(pydantic.ValidationError):
        tool.params.model_validate(bad)


def test_clean_schema_inlines_refs_and_keeps_siblings():
    schema = {
        "$defs": {
            "P": {"type": "object", "title": "P", "properties": {"x": {"type": "integer", "title": "X"}}}
        },
        "type": "object",
        "title": "parameters",
        "properties": {"p": {"$ref": "#/$defs/P", "description": "a p"}},
    }
    assert clean_schema(schema) == {
        "type": "object",
        "properties": {
            "p": {"type": "object", "properties": {"x": {"type": "integer"}}, "description": "a p"}
        },
    }


def test_action_round_trip_through_tau2_messages():
    call = AgentAction(kind="tool_call", tool_name="get_user_details", arguments={"user_id": "u1"})
    text = AgentAction(kind="message", message="Hello")
    m1, m2 = action_to_tau2(call), action_to_tau2(call)
    assert m1.tool_calls[0].id and m1.tool_calls[0].id != m2.tool_calls[0].id  # fresh ids
    assert m1.content is None and m1.cost == 0.0
    assert tau2_to_actions(m1) == [call]
    assert tau2_to_actions(action_to_tau2(text)) == [text]
    m1.validate()  # τ²'s own check: content xor tool calls


def test_view_of_a_tau2_history():
    history = [
        SystemMessage(role="system", content="system prompt"),
        AssistantMessage(role="assistant", content="Hi! How can I help you today?"),
        UserMessage(role="user", content="Find my user"),
        AssistantMessage(
            role="assistant",
            tool_calls=[
                ToolCall(id="c1", name="get_user_details", arguments={"user_id": "u1"}),
                ToolCall(id="c2", name="get_order_details", arguments={"order_id": "#1"}),
            ],
        ),
        MultiToolMessage(
            role="tool",
            tool_messages=[
                ToolMessage(id="c1", role="tool", content='{"name": "Ann"}'),
                ToolMessage(id="c2", role="tool", content="Error: Order not found", error=True),
            ],
        ),
        # The user's own device calls are invisible to the agent.
        UserMessage(
            role="user", tool_calls=[ToolCall(id="u9", name="toggle_data", arguments={}, requestor="user")]
        ),
        ToolMessage(id="u9", role="tool", content="ok", requestor="user"),
        UserMessage(role="user", content="Thanks"),
    ]
    view = tau2_to_view(history)
    assert [m.role for m in view] == ["assistant", "user", "assistant", "tool", "tool", "user"]
    assert [c.name for c in view[2].tool_calls] == ["get_user_details", "get_order_details"]
    assert (view[3].tool_name, view[3].error) == ("get_user_details", False)
    assert (view[4].tool_name, view[4].error, view[4].content) == (
        "get_order_details",
        True,
        "Error: Order not found",
    )
    assert view[5].content == "Thanks"


def test_dump_message_is_json_and_drops_raw_provider_data():
    msg = AssistantMessage(
        role="assistant", content="x", raw_data={"huge": "response"}, usage={"prompt_tokens": 1}
    )
    data = dump_message(msg)
    assert "raw_data" not in data and data["usage"] == {"prompt_tokens": 1}
    json.dumps(data)


def test_tools_to_specs_order_matches_tau2():
    env = make_environment("retail")
    assert [s.name for s in tools_to_specs(env.get_tools())] == [t.name for t in env.get_tools()]

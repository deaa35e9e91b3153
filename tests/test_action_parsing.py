import pytest
from fama_dspy.signatures.action import AgentAction

from fama_dspy.action_parsing import (
    FALLBACK_MESSAGE,
    degeneracy,
    echoes_schema,
    fallback_action,
    tool_call_from_text,
)
from fama_dspy.conversation import DecisionState, ToolSpec

NAMES = {"get_order", "cancel_order"}


@pytest.mark.parametrize(
    "args",
    [
        {"type": "object", "properties": {"order_id": {"type": "string"}}},
        {"properties": {"order_id": {"type": "string"}}},
        {"order_id": {"type": "string", "description": "the order id"}},
    ],
)
def test_schema_echoes_are_detected(args):
    assert echoes_schema(args)


@pytest.mark.parametrize(
    "args",
    [
        {},
        {"order_id": "#W1"},
        {"type": "economy", "description": "window seat"},
        {"payment": {"type": "credit_card", "id": "cc1"}},
        {"item": {"type": "string", "color": "red"}},
    ],
)
def test_real_values_are_not_schema_echoes(args):
    assert not echoes_schema(args)


def test_degenerate_actions_are_named():
    assert (
        degeneracy(AgentAction(kind="tool_call", tool_name="get_order", arguments={"order_id": "#W1"}))
        is None
    )
    assert degeneracy(AgentAction(kind="message", message="Hello")) is None
    assert degeneracy(AgentAction(kind="tool_call", tool_name=" ")) == "the tool name is empty"
    assert "use kind 'message'" in degeneracy(AgentAction(kind="tool_call", message="Hi there"))
    assert "schema" in degeneracy(
        AgentAction(kind="tool_call", tool_name="get_order", arguments={"order_id": {"type": "string"}})
    )
    assert degeneracy(AgentAction(kind="message")) == "the message is empty"
    assert "use kind 'tool_call'" in degeneracy(AgentAction(kind="message", tool_name="get_order"))


@pytest.mark.parametrize(
    "text",
    [
        'Let me check.\n```json\n{"name": "get_order", "arguments": {"order_id": "#W1"}}\n```',
        '```\n{"name": "get_order", "parameters": {"order_id": "#W1"}}\n```',
        '<tool_call>\n{"name": "get_order", "arguments": "{\\"order_id\\": \\"#W1\\"}"}\n</tool_call>',
        '{"function": {"name": "get_order", "arguments": {"order_id": "#W1"}}}',
        '[{"name": "get_order", "arguments": {"order_id": "#W1"}}]',
        '{"tool_calls": [{"name": "get_order", "args": {"order_id": "#W1"}}]}',
        "```json\n{'name': 'get_order', 'arguments': {'order_id': '#W1'},}\n```",
    ],
)
def test_tool_calls_written_as_text_are_recovered(text):
    assert tool_call_from_text(text, NAMES) == AgentAction(
        kind="tool_call", tool_name="get_order", arguments={"order_id": "#W1"}
    )


@pytest.mark.parametrize(
    "text",
    [
        "Your order is on its way.",
        'Here is your profile:\n```json\n{"name": "Ann Lee", "email": "a@x.org"}\n```',
        '```json\n{"arguments": {"order_id": "#W1"}}\n```',
        "```json\n[]\n```",
    ],
)
def test_plain_messages_and_records_stay_messages(text):
    assert tool_call_from_text(text, NAMES) is None


def test_a_nameless_call_is_kept_for_rejection():
    action = tool_call_from_text('```json\n{"name": "", "arguments": {}}\n```', NAMES)
    assert action == AgentAction(kind="tool_call", tool_name="")
    assert degeneracy(action) == "the tool name is empty"


def test_a_known_tool_name_needs_no_arguments_key():
    assert tool_call_from_text('{"name": "get_order"}', NAMES) == AgentAction(
        kind="tool_call", tool_name="get_order"
    )


def test_fallback_asks_again_or_ends_a_solo_task():
    assert fallback_action(DecisionState(policy="", tools=[])).message == FALLBACK_MESSAGE
    solo = DecisionState(policy="", tools=[ToolSpec(name="done")], ticket="t")
    assert fallback_action(solo) == AgentAction(kind="tool_call", tool_name="done")
    assert fallback_action(DecisionState(policy="", tools=[], ticket="t")).kind == "message"


def test_call_wrapped_in_an_invented_tag_is_recovered():
    """Measured on the 1.5B coder model: a call wrapped in an unclosed <tool_response> tag."""
    text = '<tool_response>\n{"name": "get_reservation_details", "arguments": {"reservation_id": "ZFA04Y"}}'
    action = tool_call_from_text(text, {"get_reservation_details"})
    assert action is not None and action.tool_name == "get_reservation_details"
    assert action.arguments == {"reservation_id": "ZFA04Y"}
    assert (
        tool_call_from_text("<note>Thanks, your booking is confirmed.</note>", {"get_reservation_details"})
        is None
    )

import json

from fama_dspy.signatures.action import AgentAction

from fama_dspy.conversation import (
    DecisionState,
    Message,
    ToolCall,
    ToolSpec,
    render_messages,
    render_tools,
    to_openai_messages,
)

SPEC = ToolSpec(
    name="book",
    description="Book a flight.\nSecond line is dropped.",
    parameters={
        "type": "object",
        "properties": {"flight": {"type": "string"}, "seats": {"type": "integer"}},
        "required": ["flight"],
    },
)


def test_tool_spec_renderings():
    assert SPEC.signature_line() == "book(flight: string*, seats: integer) - Book a flight."
    assert SPEC.openai_schema() == {
        "type": "function",
        "function": {"name": "book", "description": SPEC.description, "parameters": SPEC.parameters},
    }
    assert render_tools([SPEC, ToolSpec(name="done")]) == f"{SPEC.signature_line()}\ndone() - "


def test_decision_state_views():
    state = DecisionState(
        policy="p",
        tools=[SPEC],
        messages=[
            Message(role="user", content="first"),
            Message(role="assistant", tool_calls=[ToolCall(name="book", arguments={"flight": "F1"})]),
            Message(role="tool", tool_name="book", content="booked"),
            Message(role="assistant", content="Done."),
            Message(role="user", content="second"),
        ],
    )
    assert not state.solo and DecisionState(policy="p", tools=[], ticket="t").solo
    assert state.tool("book") is SPEC and state.tool("nope") is None
    assert state.user_turns() == ["first", "second"]
    # The tool output is before the last user turn: nothing new to read.
    assert state.last_tool_output() is None
    assert state.previous_actions() == [
        AgentAction(kind="tool_call", tool_name="book", arguments={"flight": "F1"}),
        AgentAction(kind="message", message="Done."),
    ]
    latest = DecisionState(policy="p", tools=[], messages=state.messages[:3])
    assert latest.last_tool_output().content == "booked"


def test_render_messages_numbers_turns_and_cuts_long_outputs():
    text = render_messages(
        [
            Message(role="user", content="hi"),
            Message(role="assistant", tool_calls=[ToolCall(name="book", arguments={"flight": "F1"})]),
            Message(role="tool", tool_name="book", content="x" * 50, error=True),
        ],
        max_tool_chars=10,
    )
    assert text.splitlines() == [
        "[0] user: hi",
        '[1] assistant called book({"flight": "F1"})',
        "[2] tool error (book): " + "x" * 10 + " …(cut)",
    ]
    assert render_messages([]) == "(no messages yet)"


def test_to_openai_messages_pairs_results_with_calls():
    messages = [
        Message(role="user", content="book two"),
        Message(
            role="assistant",
            tool_calls=[
                ToolCall(name="book", arguments={"flight": "F1"}, id="a"),
                ToolCall(name="book", arguments={"flight": "F2"}),
            ],
        ),
        Message(role="tool", tool_name="book", content="ok 1"),
        Message(role="tool", tool_name="book", content=""),
        Message(role="assistant", content="Both booked."),
    ]
    out = to_openai_messages(messages)
    assert [m["role"] for m in out] == ["user", "assistant", "tool", "tool", "assistant"]
    calls = out[1]["tool_calls"]
    assert [c["id"] for c in calls] == ["a", "call_1_1"]
    assert json.loads(calls[1]["function"]["arguments"]) == {"flight": "F2"}
    assert [out[2]["tool_call_id"], out[3]["tool_call_id"]] == ["a", "call_1_1"]
    assert out[3]["content"] == "(empty)"
    assert out[1]["content"] is None


def test_to_openai_messages_puts_the_ticket_first():
    out = to_openai_messages([Message(role="assistant", content="x")], ticket="Fix my phone.")
    assert out[0] == {"role": "user", "content": "Fix my phone."}
    assert to_openai_messages([]) == []

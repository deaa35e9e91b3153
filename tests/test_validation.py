from fama_dspy.signatures.action import AgentAction

from fama_dspy.conversation import ToolSpec
from fama_dspy.validation import validate_action

TOOLS = [
    ToolSpec(
        name="get_user",
        parameters={"type": "object", "properties": {"user_id": {"type": "string"}}, "required": ["user_id"]},
    ),
    ToolSpec(name="odd", parameters={"type": "not-a-type"}),
]


def call(name, **args):
    return AgentAction(kind="tool_call", tool_name=name, arguments=args)


def test_valid_actions_pass():
    assert validate_action(call("get_user", user_id="u1"), TOOLS) is None
    assert validate_action(AgentAction(kind="message", message="Hello"), TOOLS) is None


def test_messages_are_refused_in_solo_mode_and_when_empty():
    assert "cannot write to the user" in validate_action(
        AgentAction(kind="message", message="hi"), TOOLS, solo=True
    )
    assert (
        validate_action(AgentAction(kind="message", message="  "), TOOLS)
        == "Your message to the user is empty."
    )


def test_bad_tool_calls_get_an_actionable_error():
    assert "tool name is empty" in validate_action(call(" "), TOOLS)
    unknown = validate_action(call("get_usr", user_id="u1"), TOOLS)
    assert "Unknown tool 'get_usr'" in unknown and "get_user, odd" in unknown
    missing = validate_action(call("get_user"), TOOLS)
    assert (
        missing.startswith("Invalid arguments for get_user") and "'user_id' is a required property" in missing
    )
    wrong_type = validate_action(call("get_user", user_id=7), TOOLS)
    assert "(user_id)" in wrong_type


def test_a_broken_tool_schema_does_not_block_the_call():
    assert validate_action(call("odd", anything=1), TOOLS) is None

import pytest

from fama_dspy.text_hygiene import attempts_tool_call, clean_text, message_problem

TOOLS = {"cancel_reservation", "get_user_details"}


def test_think_blocks_go_first():
    assert clean_text("<think>the user wants X</think>Sure, I can help.") == "Sure, I can help."
    assert clean_text("Sure.<think>unterminated reasoning that never ends") == "Sure."
    assert clean_text("reasoning leaked</think>Hello") == "Hello"


def test_control_characters_and_stop_tokens():
    assert clean_text("Hel\x00lo\x07 there") == "Hello there"
    assert clean_text("Done. ###STOP###") == "Done."
    assert clean_text("Done. ###STOP###", stop_tokens=["###STOP###"]) == "Done. ###STOP###"
    assert clean_text("###TRANSFER###") == ""


@pytest.mark.parametrize(
    "text",
    [
        '{"tool_name": "cancel_reservation", "arguments": "ABC123"}',
        '```json\n{"name": "get_user_details", "arguments": {"user_id": \n```',
        '<tool_call>\n{"name": "get_user_details"',
        "get_user_details(user_id='mia_1')",
        '[cancel_reservation(reservation_id="ABC123")]',
        '{"name": "get_user_details", "arguments": {"user_id": "x"',
    ],
)
def test_attempted_calls_are_never_messages(text):
    assert attempts_tool_call(text, TOOLS)
    assert message_problem(text, clean_text(text), TOOLS) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Your reservation ABC123 is confirmed (economy, 2 passengers).",
        "Could you give me your user id, please?",
        "Sure (happy to help).",
    ],
)
def test_plain_messages_pass(text):
    assert not attempts_tool_call(text, TOOLS)
    assert message_problem(text, clean_text(text), TOOLS) is None


def test_empty_after_cleaning_is_a_problem():
    assert (
        message_problem("<think>only thoughts</think>\x00", clean_text("<think>only thoughts</think>\x00"))
        is not None
    )

from tau2.data_model.message import AssistantMessage, UserMessage

from fama_dspy.user_sim.user_role import user_in_role, user_role_issues

GREETING = "Hi! How can I help you today?"


def _conv(*user_turns):
    messages = [AssistantMessage(role="assistant", content=GREETING)]
    for turn in user_turns:
        messages.append(UserMessage(role="user", content=turn))
        messages.append(AssistantMessage(role="assistant", content="Could you give me your user id?"))
    return messages


def test_a_normal_customer_is_in_role():
    assert user_in_role(
        _conv("I want to cancel my reservation ABC123.", "My user id is raj_1.", "###STOP###")
    )
    assert user_in_role(_conv("Can you help me? What can I do to fix my phone?", "Thanks!\n###STOP###"))


def test_agent_phrases_are_flagged():
    for turn in (
        "Hello! How can I assist you today?",
        "How may I help you?",
        "Is there anything else I can help with?",
        "Thank you for contacting us.",
        "Let me check that for you.",
        "I'd be happy to help!",
    ):
        issues = user_role_issues(_conv(turn))
        assert len(issues) == 1 and "agent phrase" in issues[0], turn


def test_repeating_an_assistant_message_is_flagged():
    issues = user_role_issues(_conv("I need help.", "Could you give me your user id?"))
    assert len(issues) == 1 and "repeats an assistant message" in issues[0]


def test_works_on_json_dumps_and_ignores_tool_calls_and_stop_tokens():
    dumped = [m.model_dump(mode="json") for m in _conv("I lost my card.")]
    dumped.append({"role": "user", "content": None, "tool_calls": [{"name": "toggle_data"}]})
    dumped.append({"role": "user", "content": "###STOP###"})
    assert user_in_role(dumped)
    dumped.append({"role": "user", "content": "how can i help you"})
    assert not user_in_role(dumped)

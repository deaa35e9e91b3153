import dspy
import pytest
from dspy.utils import DummyLM
from tau2.data_model.message import AssistantMessage, ToolMessage

from fama_dspy.benchmarks.tau2.builders import gold_agent_builder, make_environment, user_tools
from fama_dspy.benchmarks.tau2.runner import run_episodes
from fama_dspy.benchmarks.tau2.user import FALLBACK_REPLY, FamaUser, render_user_view

GREETING = AssistantMessage(role="assistant", content="Hi! How can I help you today?")


def _lm(*answers):
    return DummyLM(list(answers), adapter=dspy.JSONAdapter())


def _user(lm, tools=None):
    return FamaUser(instructions="You want a task called 'Important Meeting' for user_1.", lm=lm, tools=tools)


def test_reply_and_stop_token():
    user = _user(
        _lm(
            {"message": "Please create a task called Important Meeting.", "status": "continue"},
            {"message": "Great, thanks!", "status": "done"},
        )
    )
    state = user.get_init_state()
    msg, state = user.generate_next_message(GREETING, state)
    assert msg.content == "Please create a task called Important Meeting." and not FamaUser.is_stop(msg)
    msg, state = user.generate_next_message(
        AssistantMessage(role="assistant", content="Created task_2."), state
    )
    assert msg.content.startswith("Great, thanks!") and "###STOP###" in msg.content and FamaUser.is_stop(msg)


@pytest.mark.parametrize(
    "status, token", [("transferred", "###TRANSFER###"), ("out_of_scope", "###OUT-OF-SCOPE###")]
)
def test_other_endings_map_to_tau2_tokens(status, token):
    user = _user(_lm({"message": "Ok.", "status": status}))
    msg, _ = user.generate_next_message(GREETING, user.get_init_state())
    assert token in msg.content and FamaUser.is_stop(msg)


def test_out_of_role_reply_is_asked_again():
    lm = _lm(
        {"message": "Hello! How can I assist you today?", "status": "continue"},
        {"message": "I need a new task for a meeting.", "status": "continue"},
    )
    user = _user(lm)
    msg, _ = user.generate_next_message(GREETING, user.get_init_state())
    assert msg.content == "I need a new task for a meeting."
    assert user.stats()["retries"] == 1
    assert "sounded like the support agent" in lm.history[-1]["messages"][-1]["content"]


def test_unparseable_turn_gets_a_fallback_reply_and_is_counted():
    user = _user(_lm({"message": "x", "status": "maybe"}, {"message": "x", "status": "maybe"}))
    msg, _ = user.generate_next_message(GREETING, user.get_init_state())
    assert msg.content == FALLBACK_REPLY
    assert len(user.stats()["failures"]) == 1


def test_device_tools_become_user_tool_calls():
    env = make_environment("telecom")
    lm = _lm(
        {"tool_name": "toggle_airplane_mode", "tool_arguments": "{}", "message": "", "status": "continue"},
        {
            "tool_name": "",
            "tool_arguments": "{}",
            "message": "Airplane mode is off now.",
            "status": "continue",
        },
    )
    user = _user(lm, tools=user_tools(env))
    state = user.get_init_state()
    ask = AssistantMessage(role="assistant", content="Please turn airplane mode off.")
    msg, state = user.generate_next_message(ask, state)
    [call] = msg.tool_calls
    assert (call.name, call.requestor, call.arguments) == ("toggle_airplane_mode", "user", {})
    assert "toggle_airplane_mode" in lm.history[-1]["messages"][-1]["content"]  # device tools are shown
    result = ToolMessage(id=call.id, role="tool", content="Airplane mode: OFF", requestor="user")
    msg, state = user.generate_next_message(result, state)
    assert msg.content == "Airplane mode is off now."
    view = render_user_view(state.messages)
    assert (
        "you ran on your device: toggle_airplane_mode" in view and "device result: Airplane mode: OFF" in view
    )


def test_fama_user_in_a_full_episode(out_dir):
    # The first turn is the task's opening request (no LM call); the scripted LM answers after the work.
    lm = _lm({"message": "Thank you!", "status": "done"})
    [r] = run_episodes(
        agent_builder=gold_agent_builder(),
        domain="mock",
        task_ids=["create_task_1"],
        user="fama",
        user_lm=lm,
        out=out_dir,
        config_name="gold",
        progress=False,
    )
    assert r["reward"] == 1.0 and r["termination"] == "user_stop" and r["user_in_role"] is True
    assert r["user_stats"]["turns"] == 2 and r["user"] == "fama"
    first_user = next(m for m in r["messages"] if m["role"] == "user")
    assert first_user["content"] == "I am a team member who needs to create a task for an upcoming meeting."


def test_agent_style_refusals_are_out_of_role():
    from fama_dspy.user_sim.user_role import user_role_issues

    for said in (
        "I'm sorry, but I don't have enough information to determine if the reservation can be canceled.",
        "I'm sorry, but I don't have your reservation ID. Can you please provide it to me?",
    ):
        assert user_role_issues([{"role": "user", "content": said}])
    assert not user_role_issues(
        [{"role": "user", "content": "I don't have my reservation id with me, sorry."}]
    )


def test_the_simulator_reads_its_scenario_in_the_first_person():
    lm = _lm({"message": "It is u1.", "status": "continue"})
    user = FamaUser(instructions="Known info: Your user id is u1.", lm=lm)
    user.generate_next_message(
        AssistantMessage(role="assistant", content="What is your user id?"), user.get_init_state()
    )
    prompt = " ".join(str(m["content"]) for m in lm.history[-1]["messages"])
    assert "My user id is u1." in prompt and "Your user id is u1." not in prompt


def test_opener_is_said_once_then_the_model_speaks():
    lm = _lm({"message": "My user id is user_1.", "status": "continue"})
    user = FamaUser(instructions="You want a task.", lm=lm, opener="I want a task.")
    state = user.get_init_state()
    first, state = user.generate_next_message(
        AssistantMessage(role="assistant", content="Hi! How can I help?"), state
    )
    assert first.content == "I want a task." and lm.history == []  # no LM call for the opener
    second, _ = user.generate_next_message(AssistantMessage(role="assistant", content="Your user id?"), state)
    assert second.content == "My user id is user_1." and len(lm.history) == 1

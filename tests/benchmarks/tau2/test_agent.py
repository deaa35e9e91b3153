import pytest
from tau2.data_model.message import ToolMessage, UserMessage
from tau2.registry import registry

from benchmarks.tau2.harness_helpers import ScriptedAgent, call, say
from fama_dspy.benchmarks.tau2.agent import (
    FALLBACK_MESSAGE,
    STOP_TOKEN,
    FamaSoloTau2Agent,
    FamaTau2Agent,
)
from fama_dspy.benchmarks.tau2.benchmark import register_with_tau2
from fama_dspy.benchmarks.tau2.builders import agent_tools, make_environment
from fama_dspy.benchmarks.tau2.tasks import load_tasks


def _agent(script, solo=False, max_reasks=2):
    env = make_environment("mock", solo=solo)
    scripted = ScriptedAgent(script)
    if solo:
        task = load_tasks("mock", task_ids=["create_task_1"])[0]
        adapter = FamaSoloTau2Agent(
            agent_tools(env, True), env.get_policy(), scripted, task, max_reasks=max_reasks
        )
    else:
        adapter = FamaTau2Agent(agent_tools(env, False), env.get_policy(), scripted, max_reasks=max_reasks)
    return adapter, scripted


def _user(text="Create a task please"):
    return UserMessage(role="user", content=text)


def test_valid_action_becomes_a_tau2_tool_call_and_state_is_built():
    adapter, scripted = _agent([call("get_users")])
    state = adapter.get_init_state()
    msg, state = adapter.generate_next_message(_user(), state)
    assert msg.tool_calls[0].name == "get_users" and msg.content is None
    seen = scripted.states[0]
    assert seen.ticket is None and "create_task" in {t.name for t in seen.tools}
    assert seen.messages[-1].role == "user" and seen.messages[-1].content == "Create a task please"
    record = adapter.decisions[0]
    assert (record.invalid_actions, record.fallback, record.lm_calls) == (0, False, 1)
    assert record.usage == {"prompt_tokens": 10, "completion_tokens": 2} and record.specialists == ["MEM"]
    # The tool result comes back under the tool's name.
    call_id = msg.tool_calls[0].id
    adapter.generate_next_message(ToolMessage(id=call_id, role="tool", content="[]"), state)
    assert scripted.states[1].messages[-1].tool_name == "get_users"


@pytest.mark.parametrize(
    "bad, fragment",
    [
        (call("delete_everything"), "Unknown tool 'delete_everything'"),
        (call("create_task", user_id="user_1"), "Invalid arguments for create_task"),
    ],
)
def test_invalid_action_is_fed_back_as_a_tool_error_and_counted(bad, fragment):
    good = call("create_task", user_id="user_1", title="Important Meeting")
    adapter, scripted = _agent([bad, good])
    msg, _state = adapter.generate_next_message(_user(), adapter.get_init_state())
    assert msg.tool_calls[0].name == "create_task"  # the re-asked, valid action reached τ²
    assert len(scripted.states) == 2
    feedback = scripted.states[1].messages[-1]
    assert feedback.role == "tool" and feedback.error and fragment in feedback.content
    assert scripted.states[1].messages[-2].role == "assistant"  # the rejected attempt itself
    record = adapter.decisions[0]
    assert record.invalid_actions == 1 and record.validation_errors[0].startswith(fragment.split(" '")[0])
    assert record.attempts == 2 and record.lm_calls == 2 and record.usage["prompt_tokens"] == 20
    assert record.rejected[0].action["tool_name"] == bad.tool_name and record.info["lm_calls"] == 1


def test_repeatedly_invalid_actions_end_in_a_polite_fallback():
    adapter, scripted = _agent([call("nope")])
    msg, _ = adapter.generate_next_message(_user(), adapter.get_init_state())
    assert msg.content == FALLBACK_MESSAGE and msg.tool_calls is None
    assert len(scripted.states) == 3  # asked once, re-asked twice
    record = adapter.decisions[0]
    assert record.fallback and record.invalid_actions == 3 and record.attempts == 3 and record.info == {}


def test_agent_exception_gives_fallback_and_the_next_decision_works():
    adapter, _scripted = _agent([RuntimeError("model said nonsense"), say("Which title?")])
    state = adapter.get_init_state()
    msg, state = adapter.generate_next_message(_user(), state)
    assert msg.content == FALLBACK_MESSAGE
    assert adapter.decisions[0].exception == "RuntimeError: model said nonsense"
    assert adapter.decisions[0].fallback
    msg, state = adapter.generate_next_message(_user("Important Meeting"), state)
    assert msg.content == "Which title?" and not adapter.decisions[1].fallback


def test_refused_connection_is_not_swallowed():
    adapter, _ = _agent([ConnectionRefusedError("no server")])
    with pytest.raises(ConnectionRefusedError):
        adapter.generate_next_message(_user(), adapter.get_init_state())


def test_solo_mode_rejects_text_and_done_stops():
    adapter, scripted = _agent([say("hello user"), call("done")], solo=True)
    assert any(t.name == "done" for t in adapter.tools)
    msg, _ = adapter.generate_next_message(None, adapter.get_init_state())
    assert msg.content == STOP_TOKEN and adapter.is_stop(msg)
    assert scripted.states[0].ticket and scripted.states[0].solo
    assert "cannot write to the user" in scripted.states[1].messages[-1].content
    assert adapter.decisions[0].invalid_actions == 1


def test_solo_fallback_is_done():
    adapter, _ = _agent([say("still talking")], solo=True)
    msg, _ = adapter.generate_next_message(None, adapter.get_init_state())
    assert msg.content == STOP_TOKEN and adapter.decisions[0].fallback


def test_interactive_agent_never_stops_by_itself():
    adapter, _ = _agent([say(STOP_TOKEN)])
    msg, _ = adapter.generate_next_message(_user(), adapter.get_init_state())
    assert not adapter.is_stop(msg)


def test_set_seed_is_recorded_without_an_llm():
    adapter, _ = _agent([call("done")], solo=True)
    adapter.set_seed(7)  # LLMSoloAgent.set_seed would raise without an LLM
    assert adapter.seed == 7


def test_registered_with_tau2_idempotently():
    register_with_tau2()
    register_with_tau2()
    assert registry.get_agent_constructor("fama_dspy") is FamaTau2Agent
    assert registry.get_agent_constructor("fama_dspy_solo") is FamaSoloTau2Agent
    assert "fama_user" in registry.get_users()

"""The benchmark-neutral driver and episode loop, with scripted agents, environments and customers."""

from __future__ import annotations

import httpx
import pytest
from fama_dspy.signatures.action import AgentAction

from fama_dspy.conversation import ToolCall, ToolSpec
from fama_dspy.episodes import (
    FALLBACK_MESSAGE,
    AgentDriver,
    SimulatedCustomer,
    ToolResult,
    run_tool_episode,
)
from fama_dspy.episodes.loop import CustomerTurn

TOOLS = [
    ToolSpec(
        name="add",
        parameters={
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
            "additionalProperties": False,
        },
    ),
    ToolSpec(name="done", parameters={"type": "object", "properties": {}}),
]


def call(name, **arguments):
    return AgentAction(kind="tool_call", tool_name=name, arguments=arguments)


def say(text):
    return AgentAction(kind="message", message=text)


class Script:
    """An agent that answers from a list, and remembers the states it was shown."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.states = []

    def __call__(self, state):
        self.states.append(state)
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer


class Adder:
    def __init__(self):
        self.calls: list[ToolCall] = []

    def execute(self, call: ToolCall) -> ToolResult:
        self.calls.append(call)
        return ToolResult(str(call.arguments["a"] + call.arguments["b"]))


def test_solo_episode_runs_tools_and_stops_on_the_stop_tool():
    agent = Script([call("add", a=1, b=2), call("done")])
    driver = AgentDriver(agent, TOOLS, "policy", ticket="add 1 and 2", solo=True, stop_tool="done")
    env = Adder()
    trace = run_tool_episode(driver, env, max_steps=10)
    assert trace.termination == "agent_stop" and trace.steps == 2
    assert [c.name for c in env.calls] == ["add"]  # the stop tool never reaches the environment
    assert [m.role for m in trace.messages] == ["assistant", "tool", "assistant"]
    assert trace.messages[1].content == "3"
    assert agent.states[1].ticket == "add 1 and 2" and agent.states[1].messages[-1].content == "3"
    assert len(trace.decisions) == 2 and not any(d.fallback for d in trace.decisions)


def test_an_invalid_call_is_shown_to_the_agent_and_never_executed():
    agent = Script([call("add", a="x", b=2), call("add", a=1, b=2), call("done")])
    driver = AgentDriver(agent, TOOLS, solo=True, stop_tool="done")
    env = Adder()
    trace = run_tool_episode(driver, env)
    assert [c.arguments for c in env.calls] == [{"a": 1, "b": 2}]
    second_view = agent.states[1].messages
    assert (
        second_view[-1].role == "tool" and second_view[-1].error and "not executed" in second_view[-1].content
    )
    assert trace.decisions[0].attempts == 2 and trace.decisions[0].invalid_actions == 1
    assert all(not m.error for m in trace.messages)  # rejected attempts stay out of the transcript


def test_reasks_run_out_into_the_fallback():
    agent = Script([say("hi")] * 3)
    driver = AgentDriver(agent, TOOLS, solo=True, stop_tool="done", max_reasks=2)
    trace = run_tool_episode(driver, Adder())
    assert trace.termination == "agent_stop" and trace.decisions[0].fallback  # solo fallback: the stop tool


def test_an_agent_exception_is_recorded_but_a_refused_connection_stops_the_run():
    driver = AgentDriver(Script([RuntimeError("boom")]), TOOLS, solo=True, stop_tool="done")
    trace = run_tool_episode(driver, Adder())
    assert trace.decisions[0].exception == "RuntimeError: boom" and trace.termination == "agent_stop"
    refused = AgentDriver(Script([httpx.ConnectError("refused")]), TOOLS, solo=True, stop_tool="done")
    with pytest.raises(httpx.ConnectError):
        run_tool_episode(refused, Adder())


def test_an_environment_error_ends_the_episode_as_error():
    class Broken:
        def execute(self, call):
            raise KeyError("no such record")

    trace = run_tool_episode(
        AgentDriver(Script([call("add", a=1, b=1)]), TOOLS, solo=True, stop_tool="done"), Broken()
    )
    assert trace.termination == "error" and "no such record" in trace.error


class Customer:
    def __init__(self, replies):
        self.replies = list(replies)
        self.seen = []

    def opening(self):
        return CustomerTurn("please add 2 and 3")

    def reply(self, transcript):
        self.seen.append(list(transcript))
        return self.replies.pop(0)


def test_interactive_episode_alternates_agent_and_customer_until_the_customer_ends():
    agent = Script([call("add", a=2, b=3), say("It is 5."), say("Anything else?")])
    customer = Customer([CustomerTurn("thanks, and 1+1?"), CustomerTurn("no, bye", done=True)])
    trace = run_tool_episode(AgentDriver(agent, TOOLS[:1]), Adder(), customer=customer, max_steps=20)
    assert trace.termination == "user_stop"
    assert [m.role for m in trace.messages] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert customer.seen[0][-1].content == "It is 5."


def test_the_step_limit_ends_a_chatty_episode():
    agent = Script([say("hello")] * 50)
    customer = Customer([CustomerTurn("hi")] * 50)
    trace = run_tool_episode(AgentDriver(agent, TOOLS[:1]), Adder(), customer=customer, max_steps=5)
    assert trace.termination == "max_steps" and trace.steps == 5


def test_interactive_fallback_is_a_clarification_question():
    agent = Script([call("nope")] * 3 + [say("ok")])
    customer = Customer([CustomerTurn("bye", done=True)])
    trace = run_tool_episode(AgentDriver(agent, TOOLS[:1], max_reasks=2), Adder(), customer=customer)
    assert trace.messages[1].content == FALLBACK_MESSAGE


def test_simulated_customer_uses_the_fixed_opening_then_the_module():
    class Module:
        def __call__(self, scenario, conversation, agent_texts=()):
            import dspy

            assert "agent: How can I help?" in conversation and scenario == "I want a refund"
            return dspy.Prediction(message="A refund please.", status="done")

    customer = SimulatedCustomer("I want a refund", opening="Hi, I need help.", module=Module())
    assert customer.opening().text == "Hi, I need help."
    from fama_dspy.conversation import Message

    turn = customer.reply(
        [Message(role="user", content="Hi"), Message(role="assistant", content="How can I help?")]
    )
    assert turn.text == "A refund please." and turn.done

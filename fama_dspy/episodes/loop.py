"""One episode of a tool-using agent, benchmark-neutral: decide → execute → observe, until it ends.

Solo: the agent works from its ticket; only tool calls are valid and the stop tool ends the
episode. Interactive: the agent's messages go to a ``CustomerSide`` (``SimulatedCustomer`` is
ours), whose reply comes back as the next user message; the customer ends the episode when its
goal is reached or refused. Either way ``max_steps`` (agent decisions plus customer turns) bounds
it. Tool calls run through a ``ToolEnvironment``, which executes by tool name with the validated
arguments: model output is never evaluated as code.

``EpisodeTrace.messages`` is what actually happened (the customer and the environment saw it);
the agent's own view additionally holds its rejected attempts and their errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from fama_dspy.conversation import Message, ToolCall
from fama_dspy.episodes.driver import AgentDriver, action_message
from fama_dspy.results.decision_log import DecisionRecord
from fama_dspy.results.fatal import is_endpoint_failure


@dataclass
class ToolResult:
    content: str
    error: bool = False


@runtime_checkable
class ToolEnvironment(Protocol):
    """Executes one validated tool call by name (a benchmark's sandbox behind it)."""

    def execute(self, call: ToolCall) -> ToolResult: ...


@dataclass
class CustomerTurn:
    text: str
    done: bool = False


@runtime_checkable
class CustomerSide(Protocol):
    """The other side of an interactive episode: the first message, then a reply to each agent message."""

    def opening(self) -> CustomerTurn: ...

    def reply(self, transcript: list[Message]) -> CustomerTurn: ...


def render_customer_view(transcript: list[Message]) -> str:
    """The chat from the customer's side: the agent's texts and the customer's own turns."""
    lines = []
    for m in transcript:
        if m.role == "assistant" and m.content:
            lines.append(f"agent: {m.content}")
        elif m.role == "user" and m.content:
            lines.append(f"you: {m.content}")
    return "\n".join(lines) if lines else "(the chat has not started)"


class SimulatedCustomer:
    """Our simulated customer (``user_sim.SimulatedUser``) on a scenario; ``opening`` may be fixed.

    A fixed first message avoids the small models' habit of greeting the agent *as* the agent; the
    scenario is the customer's own first-person notes. Ends on a status other than 'continue'.
    """

    def __init__(self, scenario: str, opening: str | None = None, module: Any = None):
        from fama_dspy.user_sim.simulator import SimulatedUser

        self.scenario = scenario
        self.first = opening
        self.module = module or SimulatedUser()
        self.turns = 0

    def _ask(self, transcript: list[Message]) -> CustomerTurn:
        from fama_dspy.user_sim.simulator import FALLBACK_REPLY

        agent_texts = [m.content for m in transcript if m.role == "assistant" and m.content]
        pred = self.module(
            scenario=self.scenario,
            conversation=render_customer_view(transcript),
            agent_texts=agent_texts[-1:],
        )
        self.turns += 1
        text = (pred.message or "").strip() or FALLBACK_REPLY
        return CustomerTurn(text=text, done=(pred.status or "continue") != "continue")

    def opening(self) -> CustomerTurn:
        if self.first:
            self.turns += 1
            return CustomerTurn(text=self.first)
        return self._ask([])

    def reply(self, transcript: list[Message]) -> CustomerTurn:
        return self._ask(transcript)


@dataclass
class EpisodeTrace:
    """What one episode produced: the transcript, the agent's decisions, why it ended."""

    messages: list[Message] = field(default_factory=list)
    decisions: list[DecisionRecord] = field(default_factory=list)
    termination: str = "max_steps"  # agent_stop | user_stop | max_steps | error
    steps: int = 0
    error: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)


def run_tool_episode(
    driver: AgentDriver,
    environment: ToolEnvironment,
    *,
    customer: CustomerSide | None = None,
    max_steps: int = 30,
    on_step: Callable[[EpisodeTrace], None] | None = None,
) -> EpisodeTrace:
    """Run the driver against the environment (and the customer, when interactive) until it ends.

    The driver's ``view`` may already hold a history (e.g. the task's opening messages). An
    exception from the environment or the customer ends the episode as ``error`` (recorded); a
    refused connection to the model server propagates, so the run stops and resumes later.
    """
    trace = EpisodeTrace(messages=list(driver.view))
    try:
        if customer is not None and not any(m.role == "user" for m in driver.view):
            turn = customer.opening()
            trace.steps += 1
            driver.observe_user(turn.text)
            trace.messages.append(Message(role="user", content=turn.text))
            if turn.done:
                trace.termination = "user_stop"
                return _finish(trace, driver)
        while trace.steps < max_steps:
            action = driver.decide()
            trace.steps += 1
            if action.kind == "tool_call":
                call = ToolCall(
                    name=action.tool_name, arguments=dict(action.arguments), id=f"call_{trace.steps}"
                )
                trace.messages.append(action_message(action, call.id))
                trace.tool_calls.append(call)
                if driver.stop_tool is not None and action.tool_name == driver.stop_tool:
                    trace.termination = "agent_stop"
                    break
                result = environment.execute(call)
                driver.observe_tool_result(call.name, result.content, result.error)
                trace.messages.append(
                    Message(role="tool", tool_name=call.name, content=result.content, error=result.error)
                )
                continue
            trace.messages.append(Message(role="assistant", content=action.message))
            if customer is None:
                continue  # only reached when messages are valid without a customer
            if trace.steps >= max_steps:
                break
            turn = customer.reply(trace.messages)
            trace.steps += 1
            driver.observe_user(turn.text)
            trace.messages.append(Message(role="user", content=turn.text))
            if turn.done:
                trace.termination = "user_stop"
                break
    except Exception as exc:
        if is_endpoint_failure(exc):
            raise
        trace.termination = "error"
        trace.error = f"{type(exc).__name__}: {exc}"
    return _finish(trace, driver)


def _finish(trace: EpisodeTrace, driver: AgentDriver) -> EpisodeTrace:
    trace.decisions = list(driver.decisions)
    return trace

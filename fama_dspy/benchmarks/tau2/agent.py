"""Make any fama-dspy agent a τ²-bench agent.

An agent is any callable ``agent(state=DecisionState) -> obj`` with ``obj.action`` an
``AgentAction`` and an optional JSON-serialisable ``obj.info``. The adapter keeps the agent's own
view of the conversation, validates every action *before* τ² executes it, and keeps the episode
alive whatever the agent does:

- an invalid action (unknown tool, schema violation, text in solo mode) is shown to the agent as
  a tool error in its own view, and the agent is asked again, at most ``max_reasks`` times; then
  a safe fallback is sent (a clarification question, or ``done`` in solo mode);
- an exception from the agent is recorded and the fallback is sent (a refused connection to the
  model server is the exception: it ends the run, see ``fatal.py``).

Solo mode: τ²'s orchestrator accepts only ``LLMSoloAgent`` instances there, so the solo adapter
subclasses it, inheriting its ``done`` stop tool and ``###STOP###`` stop check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tau2.agent.base import LocalAgent, ValidAgentInputMessage
from tau2.agent.llm_agent import LLMSoloAgent
from tau2.data_model.message import AssistantMessage
from tau2.data_model.message import Message as Tau2Message
from tau2.data_model.tasks import Task
from tau2.environment.tool import Tool

from fama_dspy.benchmarks.tau2.convert import action_to_tau2, action_to_view, tau2_to_view, tools_to_specs
from fama_dspy.conversation import DecisionState, Message
from fama_dspy.results.decision_log import Attempt, DecisionRecord, read_output
from fama_dspy.results.fatal import is_endpoint_failure
from fama_dspy.signatures.action import AgentAction
from fama_dspy.validation import validate_action

STOP_TOOL = LLMSoloAgent.STOP_FUNCTION_NAME
STOP_TOKEN = LLMSoloAgent.STOP_TOKEN
FALLBACK_MESSAGE = (
    "I'm sorry, I could not work out the next step. Could you please clarify what you would like me to do?"
)
DEFAULT_MAX_REASKS = 2

Agent = Callable[..., Any]


@dataclass
class AdapterState:
    """The agent's own view (with its rejected attempts) and the tool name of every call id."""

    view: list[Message] = field(default_factory=list)
    tool_names: dict[str, str] = field(default_factory=dict)


class FamaTau2Agent(LocalAgent[AdapterState]):
    """Interactive mode: the agent talks to a (simulated) user and calls the domain's tools."""

    solo = False

    def __init__(
        self, tools: list[Tool], domain_policy: str, agent: Agent, max_reasks: int = DEFAULT_MAX_REASKS
    ):
        super().__init__(tools=tools, domain_policy=domain_policy)
        self._init_adapter(agent, max_reasks, ticket=None)

    def _init_adapter(self, agent: Agent, max_reasks: int, ticket: str | None) -> None:
        self.agent = agent
        self.max_reasks = max_reasks
        self.ticket = ticket
        self.tool_specs = tools_to_specs(self.tools)
        self.decisions: list[DecisionRecord] = []
        self.seed: int | None = None

    # -- τ²'s agent interface ---------------------------------------------------------------
    def get_init_state(self, message_history: list[Tau2Message] | None = None) -> AdapterState:
        state = AdapterState()
        state.view = tau2_to_view(message_history or [], state.tool_names)
        return state

    def generate_next_message(
        self, message: ValidAgentInputMessage | None, state: AdapterState
    ) -> tuple[AssistantMessage, AdapterState]:
        if message is not None:
            state.view.extend(tau2_to_view([message], state.tool_names))
        action, record = self.decide(state)
        self.decisions.append(record)
        return self._emit(action, record, state), state

    def set_seed(self, seed: int) -> None:
        # τ²'s default warns and LLMSoloAgent's raises without an LLM: record the seed, and hand it
        # to agents that take one (e.g. to vary DSPy rollout ids across trials).
        self.seed = seed
        if callable(getattr(self.agent, "set_seed", None)):
            self.agent.set_seed(seed)

    # -- decisions --------------------------------------------------------------------------
    def fallback_action(self) -> AgentAction:
        if self.solo:
            return AgentAction(kind="tool_call", tool_name=STOP_TOOL, arguments={})
        return AgentAction(kind="message", message=FALLBACK_MESSAGE)

    def decision_state(self, view: list[Message]) -> DecisionState:
        return DecisionState(
            policy=self.domain_policy, tools=self.tool_specs, messages=list(view), ticket=self.ticket
        )

    def decide(self, state: AdapterState) -> tuple[AgentAction, DecisionRecord]:
        attempts: list[Attempt] = []
        for _ in range(1 + self.max_reasks):
            started = time.perf_counter()
            try:
                out = self.agent(state=self.decision_state(state.view))
                action, info = read_output(out)
            except Exception as exc:
                if is_endpoint_failure(exc):
                    raise
                attempts.append(
                    Attempt(latency_s=time.perf_counter() - started, exception=f"{type(exc).__name__}: {exc}")
                )
                break
            attempt = Attempt(action=action.model_dump(), info=info, latency_s=time.perf_counter() - started)
            attempts.append(attempt)
            error = validate_action(action, self.tool_specs, solo=self.solo)
            if error is None:
                record = DecisionRecord.from_attempts(
                    len(self.decisions), action.model_dump(), attempts, False
                )
                return action, record
            attempt.validation_error = error
            self._show_rejection(state, action, error)
        action = self.fallback_action()
        return action, DecisionRecord.from_attempts(len(self.decisions), action.model_dump(), attempts, True)

    def _show_rejection(self, state: AdapterState, action: AgentAction, error: str) -> None:
        """The rejected attempt and its error stay in the agent's view (never in τ²'s trajectory)."""
        state.view.append(action_to_view(action, call_id=f"rejected_{len(state.view)}"))
        tool_name = action.tool_name if action.kind == "tool_call" else "message"
        state.view.append(
            Message(role="tool", tool_name=tool_name, error=True, content=f"Error: {error} (not executed)")
        )

    def _emit(self, action: AgentAction, record: DecisionRecord, state: AdapterState) -> AssistantMessage:
        usage = dict(record.usage)
        if self.solo and action.kind == "tool_call" and action.tool_name == STOP_TOOL:
            # LLMSoloAgent's convention: the stop call becomes a text message holding the stop token.
            state.view.append(action_to_view(action, call_id="stop"))
            return AssistantMessage(role="assistant", content=STOP_TOKEN, cost=0.0, usage=usage)
        # Deterministic within an episode (the view only grows), so fc-mode prompts, which show call
        # ids, are identical across trials and DSPy's response cache can serve repeated trials.
        call_id = f"call_{len(state.view)}"
        state.view.append(action_to_view(action, call_id=call_id))
        if action.kind == "tool_call":
            state.tool_names[call_id] = action.tool_name
        return action_to_tau2(action, usage=usage, call_id=call_id)


class FamaSoloTau2Agent(FamaTau2Agent, LLMSoloAgent):
    """Solo mode: no user; the ticket is in the state, only tool calls, ``done`` ends the episode."""

    solo = True

    def __init__(
        self,
        tools: list[Tool],
        domain_policy: str,
        agent: Agent,
        task: Task,
        max_reasks: int = DEFAULT_MAX_REASKS,
    ):
        # Adds the `done` tool and rejects tasks τ² cannot run solo (no ticket / no gold actions).
        LLMSoloAgent.__init__(self, tools=tools, domain_policy=domain_policy, task=task)
        self._init_adapter(agent, max_reasks, ticket=solo_ticket(task))


def solo_ticket(task: Task) -> str:
    """The ticket; a solo-eligible task without one falls back to the user's instructions."""
    return task.ticket or str(task.user_scenario.instructions)


def register_agents_with_tau2() -> None:
    """Make the adapters visible to τ²'s registry as ``fama_dspy`` / ``fama_dspy_solo`` (idempotent)."""
    from tau2.registry import registry

    for cls, name in ((FamaTau2Agent, "fama_dspy"), (FamaSoloTau2Agent, "fama_dspy_solo")):
        if name not in registry.get_agents():
            registry.register_agent(cls, name)

"""τ²-bench's reference agents (``llm_agent`` / ``llm_agent_solo``), recorded like ours.

The subclasses only time each turn and log it as a ``DecisionRecord``; the model calls, prompts
and failure behaviour are τ²'s own (a malformed tool-call JSON or an empty reply raises, and the
runner records the episode as an error, exactly where τ²'s own runner would lose the sample).
"""

from __future__ import annotations

import time

from tau2.agent.llm_agent import LLMAgent, LLMAgentState, LLMSoloAgent
from tau2.data_model.message import AssistantMessage

from fama_dspy.benchmarks.tau2.convert import tau2_to_actions
from fama_dspy.results.decision_log import Attempt, DecisionRecord
from fama_dspy.signatures.action import AgentAction

BASELINE_CONFIG = "tau2-llm-agent"


class _Recording:
    """Mixin in front of a τ² agent class: times each reply and records it as a decision."""

    decisions: list[DecisionRecord]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decisions = []

    def generate_next_message(self, message, state: LLMAgentState):
        started = time.perf_counter()
        reply, state = super().generate_next_message(message, state)
        self._record(reply, time.perf_counter() - started)
        return reply, state

    def _record(self, message: AssistantMessage, latency: float) -> None:
        if isinstance(self, LLMSoloAgent) and LLMSoloAgent.is_stop(message):
            # LLMSoloAgent has already turned its `done` call into the stop text; record the call.
            actions = [AgentAction(kind="tool_call", tool_name=LLMSoloAgent.STOP_FUNCTION_NAME).model_dump()]
        else:
            actions = [a.model_dump() for a in tau2_to_actions(message)]
        usage = {k: int((message.usage or {}).get(k) or 0) for k in ("prompt_tokens", "completion_tokens")}
        info = {"lm_calls": 1, "usage": usage}
        if len(actions) > 1:
            info["parallel_actions"] = actions
        attempt = Attempt(action=actions[0], info=info, latency_s=latency)
        self.decisions.append(DecisionRecord.from_attempts(len(self.decisions), actions[0], [attempt], False))


class RecordingLLMAgent(_Recording, LLMAgent):
    pass


class RecordingLLMSoloAgent(_Recording, LLMSoloAgent):
    pass

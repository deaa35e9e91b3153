"""VER: checks a proposed action before it runs; the tool-use agent revises on FAIL."""

from __future__ import annotations

import dspy

from fama_dspy.conversation import DecisionState, render_tools
from fama_dspy.errors import ConfigError
from fama_dspy.signatures.action import AgentAction
from fama_dspy.signatures.verification import VerifyAction
from fama_dspy.specialists.base import LMSpecialist, transcript
from fama_dspy.specialists.tunable import Tunable

#: Name prefixes of tools that only read; used when a tool does not say whether it writes.
READ_ONLY_PREFIXES = ("get_", "find_", "list_", "search_", "calculate", "think")
SCOPES = ("writes", "tool_calls", "all")


def changes_state(state: DecisionState, action: AgentAction) -> bool:
    """Whether executing the action may change the world (a write, or a tool of unknown kind)."""
    if action.kind != "tool_call":
        return False
    spec = state.tool(action.tool_name)
    if spec is not None and spec.writes is not None:
        return spec.writes
    return not action.tool_name.startswith(READ_ONLY_PREFIXES)


def repeats_last_call(state: DecisionState, action: AgentAction) -> bool:
    """The exact call the agent made last, with no user turn since: its result is already known.

    docs/design.md §8: repeating the previous call is the dominant failure of the small model, and plain
    instructions did not stop it, so this check is deterministic.
    """
    if action.kind != "tool_call":
        return False
    for m in reversed(state.messages):
        if m.role == "user":
            return False
        if m.role == "assistant":
            if not m.tool_calls:
                return False
            last = m.tool_calls[-1]
            return last.name == action.tool_name and last.arguments == action.arguments
    return False


class ActionVerifier(LMSpecialist):
    """PASS/FAIL for a proposed action.

    ``applies_to`` says which actions are worth a check: by default state-changing tool calls (a
    wrong write is what costs the task, and each check is one more LM call on slow hardware) plus
    any exact repeat of the last call, which is rejected without an LM call. ``scope="tool_calls"``
    or ``"all"`` widens the LM check to every tool call or to messages as well.
    """

    code = "ver"
    title = "Verifier check (VER)"
    mitigates = ("DPV", "IFU")
    # It checks the proposed action after the decision; a per-turn gate is read before the decision.
    checks_action = True
    gateable = False
    # Revising on FAIL is the orchestrator's step (FamaAgent), hence no constructor argument.
    tunables = (Tunable("verify_and_revise", "choice", default=True, choices=(True, False)),)

    def __init__(
        self, adapter: dspy.Adapter | None = None, scope: str = "writes", reject_repeats: bool = True
    ):
        super().__init__(adapter)
        if scope not in SCOPES:
            raise ConfigError(f"Unknown verifier scope {scope!r}; valid scopes: {', '.join(SCOPES)}.")
        self.scope = scope
        self.reject_repeats = reject_repeats
        self.verify = dspy.Predict(VerifyAction)

    def applies_to(self, state: DecisionState, action: AgentAction) -> bool:
        if self.reject_repeats and repeats_last_call(state, action):
            return True
        if self.scope == "all":
            return True
        if self.scope == "tool_calls":
            return action.kind == "tool_call"
        return changes_state(state, action)

    def forward(self, state: DecisionState, action: AgentAction) -> dspy.Prediction:
        if self.reject_repeats and repeats_last_call(state, action):
            return self._verdict(
                "FAIL",
                "This repeats your last call; its result is already in the conversation. "
                "Use that result: take the next step or reply to the user.",
            )
        pred, error = self.ask(
            self.verify,
            policy=state.policy,
            tools=render_tools(state.tools),
            conversation=transcript(state),
            proposed_action=action.short(),
        )
        if pred is None:
            # Fail open: a verifier that cannot be read must not block the agent.
            return dspy.Prediction(section="", verdict=None, reason="", parse_failures=1, error=error)
        return self._verdict(pred.verdict, " ".join((pred.reason or "").split()))

    def _verdict(self, verdict: str, reason: str) -> dspy.Prediction:
        section = self.section([f"{verdict}: {reason}" if reason else verdict])
        return dspy.Prediction(section=section, verdict=verdict, reason=reason, parse_failures=0, error="")

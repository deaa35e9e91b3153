"""MEM: the user's requests so far, the agent's own recent tool calls and the ids seen. No LLM call.

The paper's memory is the last k user turns (k=2 airline, k=6 retail). The list of the agent's own
calls is added because repeating the previous call is the small model's dominant failure (measured
on the 1.5B model: 5 of 8 decisions with prior calls repeated the last one). The identifiers seen so
far, with kind and source, are listed because an unseen id is never right: the choice is visible in
the prompt as well as enforced by decoding (``fama_dspy.identifiers``).
"""

from __future__ import annotations

import json

import dspy

from fama_dspy.conversation import DecisionState, ToolCall
from fama_dspy.identifiers import render_seen, seen_identifiers
from fama_dspy.specialists.base import MAX_ITEM_CHARS, Specialist
from fama_dspy.specialists.tunable import Tunable


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tool_calls_with_outcome(state: DecisionState) -> list[tuple[ToolCall, str]]:
    """The agent's tool calls, oldest first, each with 'ok', 'error' or 'no result' from the results that follow it."""
    out: list[tuple[ToolCall, str]] = []
    waiting: list[int] = []
    for m in state.messages:
        if m.role == "assistant" and m.tool_calls:
            waiting = list(range(len(out), len(out) + len(m.tool_calls)))
            out.extend((c, "no result") for c in m.tool_calls)
        elif m.role == "tool" and waiting:
            i = waiting.pop(0)
            out[i] = (out[i][0], "error" if m.error else "ok")
    return out


class RequestMemory(Specialist):
    code = "mem"
    title = "User requests so far (MEM)"
    calls_lm = False
    mitigates = ("CM", "IFU")
    # Without an LM call, skipping it on some turns would save nothing and only drop context.
    tune_gate = False
    tunables = (Tunable("memory_k", "int", default=4, arg="k", low=1, high=8),)

    def __init__(self, k: int = 4, max_calls: int = 6, max_ids: int = 12):
        super().__init__()
        self.k = k
        self.max_calls = max_calls
        self.max_ids = max_ids

    def forward(self, state: DecisionState) -> dspy.Prediction:
        turns = state.user_turns()[-self.k :] if self.k > 0 else []
        calls = tool_calls_with_outcome(state)[-self.max_calls :] if self.max_calls > 0 else []
        lines = [f"- {_clip(t, MAX_ITEM_CHARS)}" for t in turns]
        if calls:
            lines.append(
                "Your tool calls so far (oldest first; their results are above, do not repeat them):"
            )
            lines += [
                f"- {c.name}({_clip(json.dumps(c.arguments, sort_keys=True, ensure_ascii=False), 160)}) -> {outcome}"
                for c, outcome in calls
            ]
        ids = render_seen(seen_identifiers(state), limit=self.max_ids) if self.max_ids > 0 else []
        if ids:
            lines.append("Ids seen so far (use only these; look up or ask for any other):")
            lines += ids
        return dspy.Prediction(
            section=self.section(lines),
            user_turns=turns,
            tool_calls=[c.name for c, _ in calls],
            ids_seen=len(ids),
            parse_failures=0,
        )

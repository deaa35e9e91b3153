"""What every specialist shares: the metadata the registry reads and its section rendering; for the
LLM specialists also their adapter and fail-soft prediction."""

from __future__ import annotations

from typing import ClassVar

import dspy
import pydantic
from dspy.utils.exceptions import AdapterParseError

from fama_dspy.adapters import JSONModeAdapter
from fama_dspy.conversation import DecisionState, render_messages
from fama_dspy.decoding import SPECIALIST_MAX_TOKENS
from fama_dspy.specialists.tunable import Tunable

#: Cap on one rendered item: a runaway line should not flood the tool-use prompt.
MAX_ITEM_CHARS = 300


def transcript(state: DecisionState, max_tool_chars: int = 1500) -> str:
    """The conversation as specialists see it; in solo mode the ticket leads, as it replaces the user."""
    text = render_messages(state.messages, max_tool_chars=max_tool_chars)
    return f"[ticket] {state.ticket}\n{text}" if state.ticket else text


def clean_items(items, limit: int) -> list[str]:
    """Non-empty, de-duplicated, clipped strings, at most ``limit`` of them."""
    out: list[str] = []
    for item in items or []:
        text = " ".join(str(item).split())
        if text and text not in out:
            out.append(text if len(text) <= MAX_ITEM_CHARS else text[: MAX_ITEM_CHARS - 1] + "…")
    return out[:limit]


class Specialist(dspy.Module):
    """Base of every specialist. The class attributes are its registry entry (``specialists.registry``):

    - ``code``: the registry key, also the attribute name in ``FamaAgent``; ``title``: the section header;
    - ``calls_lm``: whether it makes an LM call (then its constructor takes ``adapter``); the free
      ones cost nothing at decision time, which the selection prefers;
    - ``checks_action``: it checks the proposed action after the decision instead of writing
      context before it;
    - ``gateable``: whether ``FamaAgent`` may skip it on some turns (a per-turn gate);
    - ``tune_gate``: whether activation tuning searches its gate; off when a gate would save no LM
      call, or when a setting of its own already decides when it runs;
    - ``mitigates``: the error categories (docs/design.md §2) it addresses in the prior of §3;
    - ``tunables``: its settings that tuning may change (``Tunable``).
    """

    code: ClassVar[str] = ""
    title: ClassVar[str] = ""
    calls_lm: ClassVar[bool] = True
    checks_action: ClassVar[bool] = False
    gateable: ClassVar[bool] = True
    tune_gate: ClassVar[bool] = True
    mitigates: ClassVar[tuple[str, ...]] = ()
    tunables: ClassVar[tuple[Tunable, ...]] = ()

    def section(self, lines: list[str]) -> str:
        return f"## {self.title}\n" + "\n".join(lines) if lines else ""


class LMSpecialist(Specialist):
    """Base of the LLM specialists: structured outputs through ``adapter``, fail-soft prediction."""

    def __init__(self, adapter: dspy.Adapter | None = None):
        super().__init__()
        self.adapter = adapter or JSONModeAdapter()

    def ask(self, predictor: dspy.Predict, **inputs) -> tuple[dspy.Prediction | None, str]:
        """(prediction, '') or (None, error): a specialist's bad output drops its section, not the turn."""
        try:
            with dspy.context(adapter=self.adapter):
                return predictor(**inputs, config={"max_tokens": SPECIALIST_MAX_TOKENS}), ""
        except (AdapterParseError, pydantic.ValidationError) as exc:
            return None, f"{type(exc).__name__}: {str(exc)[:300]}"

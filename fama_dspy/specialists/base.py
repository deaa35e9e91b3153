"""What every LLM specialist shares: its adapter, fail-soft prediction and section rendering."""

from __future__ import annotations

import dspy
import pydantic
from dspy.utils.exceptions import AdapterParseError

from fama_dspy.adapters import JSONModeAdapter
from fama_dspy.conversation import DecisionState, render_messages
from fama_dspy.decoding import SPECIALIST_MAX_TOKENS

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
    """Base of the LLM specialists. ``code`` is the registry key, ``title`` the section header."""

    code = ""
    title = ""

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

    def section(self, lines: list[str]) -> str:
        return f"## {self.title}\n" + "\n".join(lines) if lines else ""

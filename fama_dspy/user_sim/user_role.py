"""A cheap, no-LLM check that a simulated user stayed a user.

docs/design.md §8: with a small model, τ²'s user simulator collapsed into the assistant role ("Hello! How
can I assist you today?" in a loop), which makes an episode's reward meaningless. Each episode
records whether any user turn looks like the agent speaking:
- phrases only a service agent says (offering help, thanking for contacting, "let me ... for you");
- a user turn identical to an assistant message (echoing the agent, e.g. its greeting).
Turns that are only a stop token are ignored. Messages may be τ² messages or their JSON dumps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

STOP_TOKENS = ("###STOP###", "###TRANSFER###", "###OUT-OF-SCOPE###")

AGENT_PHRASES = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bhow (?:can|may|could|might) i (?:help|assist|be of (?:help|assistance|service))\b",
        r"\bwhat can i do for you\b",
        r"\bwhat can i help you with\b",
        r"\bis there anything (?:else )?i can (?:help|assist|do)\b",
        r"\bi(?:'d| would) be (?:happy|glad) to (?:help|assist)\b",
        r"\bthank you for (?:contacting|reaching out|calling|choosing)\b",
        r"\bi can (?:help|assist) you with (?:that|this)\b",
        r"\blet me (?:check|look (?:that|this|it) up|pull (?:that|this|it) up)\b[^.?!]*\bfor you\b",
        r"\bhow can i help\b",
        r"\bi(?:'m| am) here to (?:help|assist)\b",
        # Declining or asking for case details the way an agent does (seen with the 1.5B model as user).
        r"\bi(?:'m| am) sorry,? but i (?:don't|do not|can't|cannot) (?:have enough information|assist|help)\b",
        # The customer's own ids asked back from the agent ("I don't have your reservation ID. Can you provide it?").
        r"\bi (?:don't|do not) have your (?:user|reservation|order|account|booking|confirmation)\b",
    )
]


def _role_and_text(message: Any) -> tuple[str, str, bool]:
    """(role, text, is_tool_call) of a τ² message object or its dict dump."""
    if isinstance(message, dict):
        role, text, calls = message.get("role", ""), message.get("content"), message.get("tool_calls")
    else:
        role, text, calls = (
            getattr(message, "role", ""),
            getattr(message, "content", None),
            getattr(message, "tool_calls", None),
        )
    return str(role), text or "", bool(calls)


def _normalize(text: str) -> str:
    for token in STOP_TOKENS:
        text = text.replace(token, " ")
    return " ".join(text.lower().split())


def user_role_issues(messages: Iterable[Any]) -> list[str]:
    """One line per user turn that sounds like the agent (empty when the user stayed in role)."""
    issues: list[str] = []
    assistant_texts: set[str] = set()
    for index, message in enumerate(messages):
        role, text, is_call = _role_and_text(message)
        if is_call:
            continue
        norm = _normalize(text)
        if role == "assistant":
            if norm:
                assistant_texts.add(norm)
            continue
        if role != "user" or not norm:
            continue
        short = text.strip().replace("\n", " ")[:120]
        phrase = next((p for p in AGENT_PHRASES if p.search(norm)), None)
        if phrase is not None:
            issues.append(f"[{index}] agent phrase: {short}")
        elif norm in assistant_texts:
            issues.append(f"[{index}] repeats an assistant message: {short}")
    return issues


def user_in_role(messages: Iterable[Any]) -> bool:
    return not user_role_issues(messages)

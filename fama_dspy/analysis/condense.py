"""A failed conversation as a compact, turn-indexed transcript that fits a small judge model's context.

Judges run on the same small models as the agent (8k context per slot, docs/design.md §7), and a few
retail tool outputs alone can exceed that. Long tool outputs keep their head plus the keys and the
ids they contain (what a judge needs to check a WRCO claim); if the whole transcript is still too
long, middle turns are dropped. Turn numbers are message indices, as in
``fama_dspy.conversation.render_messages``, so ``evidence_turns`` point into the original conversation.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fama_dspy.conversation import Message

#: Line tags for tool messages; rules that look for tool outputs in a transcript match these.
TOOL_RESULT_TAG = "tool result"
TOOL_ERROR_TAG = "tool error"
#: Ends the marker line that stands for dropped middle turns.
OMITTED_MARK = "turns omitted"

#: Keys whose scalar values are identifiers (reservation_id, item_id, flight_number, zip code, ...).
_ID_KEY = re.compile(r"(^|_)(id|ids|number|code)$", re.IGNORECASE)
#: Id-like tokens: no spaces, at least one digit (HAT170, ZFA04Y, #W2378156, 1008292230).
_ID_LIKE = re.compile(r"^#?(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9][A-Za-z0-9_-]{3,23}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_TEXT_KEY = re.compile(r'"?([A-Za-z_][A-Za-z0-9_]*)"?\s*[:=]')
_MAX_LISTED = 40


def condense_trajectory(
    messages: list[Message | dict],
    max_tool_chars: int = 300,
    max_message_chars: int = 600,
    max_total_chars: int = 12000,
) -> str:
    """Turn-indexed transcript: ``[i] role: text``; tool outputs over ``max_tool_chars`` keep their head
    plus their keys and ids, other messages are cut at ``max_message_chars``, and middle turns are
    dropped (and marked) when the whole exceeds ``max_total_chars``."""
    lines = []
    for i, raw in enumerate(messages):
        m = raw if isinstance(raw, Message) else Message.model_validate(raw)
        lines.append(_line(i, m, max_tool_chars, max_message_chars))
    return _fit(lines, max_total_chars) if lines else "(no messages)"


def _line(i: int, m: Message, max_tool_chars: int, max_message_chars: int) -> str:
    if m.role == "tool":
        tag = TOOL_ERROR_TAG if m.error else TOOL_RESULT_TAG
        return f"[{i}] {tag} ({m.tool_name}): {condense_tool_output(m.content, max_tool_chars)}"
    if m.role == "assistant" and m.tool_calls:
        calls = "; ".join(
            f"{c.name}({_clip(json.dumps(c.arguments, ensure_ascii=False), max_message_chars)})"
            for c in m.tool_calls
        )
        said = f" (said: {_clip(_one_line(m.content), max_message_chars)})" if m.content.strip() else ""
        return f"[{i}] assistant called {calls}{said}"
    return f"[{i}] {m.role}: {_clip(_one_line(m.content), max_message_chars)}"


def condense_tool_output(text: str, max_chars: int) -> str:
    """Compact JSON if it fits; else the head plus ``(cut; more keys: ...; more ids: ...)``, listing
    the keys and ids past the head (at most ``max_chars`` of them)."""
    try:
        data = json.loads(text)
        compact = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    except (ValueError, TypeError):
        data, compact = None, _one_line(text)
    if len(compact) <= max_chars:
        return compact
    keys: list[str] = []
    ids: list[str] = []
    if data is not None:
        _collect(data, keys, ids, parent_key="")
    else:
        _collect_from_text(compact, keys, ids)
    head = compact[:max_chars]
    # Only what the head does not show: the judge needs the ids it cannot see to check a retrieval.
    keys = [k for k in keys if f'"{k}"' not in head and k not in head]
    ids = [i for i in ids if i not in head]
    extra = ""
    if keys:
        extra += "; more keys: " + ", ".join(keys[:_MAX_LISTED])
    if ids:
        extra += "; more ids: " + ", ".join(ids[:_MAX_LISTED])
    # The summary gets its own budget so a huge output cannot crowd out the turns after it.
    return head + " …(cut" + _clip(extra, max_chars) + ")"


def _collect(node: Any, keys: list[str], ids: list[str], parent_key: str) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            key = str(key)
            # Retail keys variants by item id: such keys are ids, not field names.
            if _ID_LIKE.match(key) and not _DATE.match(key):
                _add(ids, key)
            else:
                _add(keys, key)
            _collect(value, keys, ids, parent_key=key)
    elif isinstance(node, list):
        for item in node:
            _collect(item, keys, ids, parent_key=parent_key)
    elif isinstance(node, (str, int)) and not isinstance(node, bool):
        value = str(node)
        if _ID_KEY.search(parent_key) or (
            isinstance(node, str) and _ID_LIKE.match(value) and not _DATE.match(value)
        ):
            _add(ids, value)


def _collect_from_text(text: str, keys: list[str], ids: list[str]) -> None:
    for key in _TEXT_KEY.findall(text):
        _add(keys, key)
    for token in re.split(r"[\s,;:()\[\]{}'\"=]+", text):
        if _ID_LIKE.match(token) and not _DATE.match(token):
            _add(ids, token)


def _add(seen: list[str], value: str) -> None:
    if value not in seen:
        seen.append(value)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " …(cut)"


def _fit(lines: list[str], max_total_chars: int) -> str:
    """Keep the first turns (the requests) and the last turns (how it ended); mark what was dropped.

    The tail gets two thirds of the budget: a failure's end (stopping early, a wrong final write)
    is where most judges look.
    """
    text = "\n".join(lines)
    if len(text) <= max_total_chars:
        return text
    head_budget = max_total_chars // 3
    head: list[str] = []
    used = 0
    for line in lines:
        if head and used + len(line) + 1 > head_budget:
            break
        head.append(_clip(line, head_budget))
        used += len(head[-1]) + 1
    tail: list[str] = []
    used = sum(len(x) + 1 for x in head)
    for line in reversed(lines[len(head) :]):
        if used + len(line) + 1 > max_total_chars - 40:
            break
        tail.insert(0, line)
        used += len(line) + 1
    if not tail and len(head) < len(lines):
        # The last turn alone is too long: keep its start rather than lose how the episode ended.
        tail = [_clip(lines[-1], max(max_total_chars - used - 60, 80))]
    first_dropped, last_dropped = len(head), len(lines) - len(tail) - 1
    if first_dropped > last_dropped:
        return "\n".join(head + tail)
    marker = f"[{first_dropped}-{last_dropped}] … {last_dropped - first_dropped + 1} {OMITTED_MARK}"
    return "\n".join([*head, marker, *tail])

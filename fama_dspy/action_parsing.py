"""Judge and recover the raw actions a small model produces.

docs/design.md §8: a parsed action is not a good action. Small models return empty tool names and echo the
tool schema as arguments without any parse error, and coder models answer a native ``tools``
request with a JSON block in the text (§7). These helpers turn such outputs into either a clear
problem or the action the model meant.
"""

from __future__ import annotations

import json
import re
from typing import Any

import json_repair

from fama_dspy.conversation import DecisionState
from fama_dspy.signatures.action import AgentAction

FALLBACK_MESSAGE = "Sorry, could you please repeat or clarify your request?"

_SCHEMA_TYPES = {"string", "integer", "number", "boolean", "array", "object", "null"}
_SCHEMA_KEYS = {
    "type",
    "description",
    "properties",
    "required",
    "items",
    "enum",
    "title",
    "default",
    "format",
    "additionalProperties",
}
# A fenced block (```json ... ``` or ``` ... ```) or Qwen's <tool_call> tag when the server left it in the text.
_BLOCK = re.compile(r"```(?:json)?\s*(.*?)```|<tool_call>\s*(.*?)\s*</tool_call>", re.DOTALL)
# Any XML-ish tag the model wraps a call in; measured: the 1.5B coder model writes
# "<tool_response>\n{"name": ..., "arguments": ...}" (an invented tag, often unclosed).
_TAG = re.compile(r"</?[A-Za-z_][A-Za-z0-9_-]*>")


def echoes_schema(arguments: dict[str, Any]) -> bool:
    """True when the arguments are (part of) a JSON schema rather than values."""
    if not arguments:
        return False
    if isinstance(arguments.get("properties"), dict) or arguments.get("type") == "object":
        return True
    return all(
        isinstance(v, dict) and v.get("type") in _SCHEMA_TYPES and set(v) <= _SCHEMA_KEYS
        for v in arguments.values()
    )


def degeneracy(action: AgentAction) -> str | None:
    """What makes this action unusable (a parse failure in all but name), or None if it is usable."""
    if action.kind == "tool_call":
        if not action.tool_name.strip():
            if action.message.strip():
                return "kind is 'tool_call' but only a message was written; use kind 'message'"
            return "the tool name is empty"
        if echoes_schema(action.arguments):
            return "the arguments repeat the tool's schema instead of giving values"
        return None
    if not action.message.strip():
        if action.tool_name.strip():
            return "kind is 'message' but a tool was named; use kind 'tool_call'"
        return "the message is empty"
    return None


def _as_tool_call(obj: Any, tool_names: set[str]) -> AgentAction | None:
    if isinstance(obj, list):
        return _as_tool_call(obj[0], tool_names) if obj else None
    if not isinstance(obj, dict):
        return None
    if isinstance(obj.get("tool_calls"), list):
        return _as_tool_call(obj["tool_calls"], tool_names)
    if isinstance(obj.get("function"), dict):
        obj = obj["function"]
    name = obj.get("name")
    has_args = any(k in obj for k in ("arguments", "parameters", "args"))
    # A JSON record shown to the user may have a "name" too: demand arguments or a real tool name.
    # An empty name with arguments is still a (degenerate) call, for the caller to reject and retry.
    if not isinstance(name, str) or not (has_args or name in tool_names):
        return None
    args = next((obj[k] for k in ("arguments", "parameters", "args") if k in obj), {})
    if isinstance(args, str):
        args = json_repair.loads(args) if args.strip() else {}
    if not isinstance(args, dict):
        return None
    return AgentAction(kind="tool_call", tool_name=name.strip(), arguments=args)


def tool_call_from_text(text: str, tool_names: set[str] | frozenset[str] = frozenset()) -> AgentAction | None:
    """The tool call written as JSON in a text reply (fenced block, <tool_call> tag or bare object)."""
    candidates = [a or b for a, b in _BLOCK.findall(text)]
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        candidates.append(stripped)
    untagged = _TAG.sub("", text).strip()
    if untagged != stripped and untagged.startswith(("{", "[")):
        candidates.append(untagged)
    for candidate in candidates:
        try:
            obj = json.loads(candidate)
        except json.JSONDecodeError:
            obj = json_repair.loads(candidate)
        action = _as_tool_call(obj, set(tool_names))
        if action is not None:
            return action
    return None


def fallback_action(state: DecisionState) -> AgentAction:
    """The safe action when the model gave nothing usable: ask again, or end a solo task."""
    if state.solo and state.tool("done") is not None:
        return AgentAction(kind="tool_call", tool_name="done", arguments={})
    return AgentAction(kind="message", message=FALLBACK_MESSAGE)

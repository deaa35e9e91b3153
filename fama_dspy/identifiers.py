"""Identifier arguments and the identifier values an agent has seen, found without an LLM.

An id the agent has not seen is never right in a customer-service domain: it is a hallucination
or a skipped lookup, and on a write tool the most damaging error an agent can make. This module
says which tool parameters hold identifiers and which identifier values are visible at a
decision, so decoding can restrict them (``decoding.action_schema``) and every other mode can
refuse a call that uses an unseen one (``unseen_identifiers``).

The rule for an identifier parameter (explicit, tested on every benchmark's tools): its schema
says ``"x-identifier": true``, or, unless it says ``false``, its name is ``id``/``ids`` or ends in
``_id``/``_ids`` (``user_id``, ``reservation_id``, ``item_ids``, ``payment_method_id``). Names
such as ``flight_number``, ``email`` or ``zip`` are values a customer states, not identifiers.

Seen values come from the ticket, the customer's messages, successful tool results (JSON, or a
Python literal as ACEBench shows results, read with ``ast.literal_eval``; errors are skipped: they
echo the bad id back) and the arguments of the agent's own calls that succeeded
(a call that returned a result proved its ids real). In tool results a value counts when it sits under an
id-like key, in a list or dict-key set under a plural key (``"reservations": ["4WQ150"]``), or in
an ``id`` field of an item of such a collection; each value keeps its *kind* (the key it came
from) and its source. A lone value under a non-id key (``"zip": "80243"``) keeps that key as its
kind, so it fits no identifier parameter whose name shares no word with it. In free text every
id-shaped token counts; it gets a kind only when the nearest word before it names one of the live
tools' identifier kinds ("my user id is mia_li_3668" -> ``user_id``), otherwise none:
over-collecting only widens a choice, under-collecting would block a legitimate call. A value
without a kind fits any identifier parameter unless the same value was also seen with a kind.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from fama_dspy.conversation import DecisionState, ToolSpec

ID_SUFFIXES = ("_id", "_ids")
ID_NAMES = ("id", "ids")
#: Id-shaped tokens in free text: digits, underscores or a leading '#', or a run of 5+ capitals
#: (airline record locators such as SDZQKO). Trailing punctuation is not part of the token.
_TOKEN = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9_\-.@]*[A-Za-z0-9]")
_CAPS = re.compile(r"^[A-Z0-9]{5,}$")
#: Shortest id-shaped token in free text without a '#' or '_' (τ²'s shortest such ids: C1001, 4OG6T3).
_MIN_BARE_ID = 5
#: Words skipped between a kind word and the id it names ("user id is X", "order number: #W1").
_FILLER = frozenset(
    "a an the my our your his her their this that is was are be it its id ids number no num code "  # noqa: SIM905
    "called named of for with as to and or".split()
)
#: How many words before an id in free text may name its kind.
_KIND_WINDOW = 4


def is_identifier_param(name: str, schema: dict[str, Any] | None = None) -> bool:
    """Whether a parameter of this name (and schema) holds an identifier: see the module docstring."""
    if isinstance(schema, dict) and isinstance(schema.get("x-identifier"), bool):
        return schema["x-identifier"]
    key = name.strip().lower()
    return key in ID_NAMES or key.endswith(ID_SUFFIXES)


def looks_like_id(token: str) -> bool:
    token = token.strip()
    if len(token) < 3 or " " in token:
        return False
    if token.startswith("#") or "_" in token:
        return True
    return any(c.isdigit() for c in token) or bool(_CAPS.match(token))


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def kind_tokens(name: str) -> frozenset[str]:
    """Words of a parameter or key name without its id suffix, singular: ``payment_method_ids`` -> {payment, method}."""
    key = name.strip().lower()
    for suffix in (*ID_SUFFIXES, *ID_NAMES):
        if key.endswith(suffix):
            key = key[: -len(suffix)]
            break
    return frozenset(_singular(w) for w in re.split(r"[_\W]+", key) if w)


def compatible(kind: str, param: str) -> bool:
    """A seen value of ``kind`` may fill ``param``: no kind known, or the names share a word."""
    if not kind:
        return True
    a, b = kind_tokens(kind), kind_tokens(param)
    return not a or not b or bool(a & b)


@dataclass(frozen=True)
class SeenValue:
    value: str
    kind: str  # the key it was found under ('' for free text)
    source: str  # "ticket", "user", or "tool:<tool_name>"


@dataclass
class SeenIdentifiers:
    """The identifier values visible at a decision, in order of first appearance."""

    values: list[SeenValue] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._keys = {(v.value, v.kind) for v in self.values}
        self._kinded = {v.value for v in self.values if v.kind}

    def add(self, value: Any, kind: str, source: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return
        text = str(value).strip()
        if not text or len(text) > 80 or (text, kind) in self._keys:
            return
        self._keys.add((text, kind))
        if kind:
            self._kinded.add(text)
        self.values.append(SeenValue(text, kind, source))

    def _fits(self, v: SeenValue, param: str) -> bool:
        if v.kind:
            return compatible(v.kind, param)
        # A kindless mention stands for any kind only while nothing says what the value is.
        return v.value not in self._kinded

    def for_param(self, param: str) -> list[str]:
        """Seen values compatible with a parameter, de-duplicated, in order of appearance."""
        out: list[str] = []
        for v in self.values:
            if v.value not in out and self._fits(v, param):
                out.append(v.value)
        return out

    def contains(self, value: Any, param: str) -> bool:
        text = str(value).strip()
        return any(v.value == text and self._fits(v, param) for v in self.values)

    def __len__(self) -> int:
        return len(self.values)


def _kind_before(text: str, start: int, kinds: frozenset[str]) -> str:
    """The identifier kind named just before position ``start`` of free text, or ''."""
    words = re.findall(r"[a-z]+", text[max(0, start - 60) : start].lower())[-_KIND_WINDOW:]
    for word in reversed(words):
        if word in _FILLER:
            continue
        word = _singular(word)
        return f"{word}_id" if word in kinds else ""
    return ""


def _from_text(text: str, seen: SeenIdentifiers, source: str, kinds: frozenset[str] = frozenset()) -> None:
    text = text or ""
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        # Shorter bare tokens in prose are amounts, times and card endings ("100", "3pm", "7334"):
        # the 1.5B model sent them as reservation ids while they fitted every id parameter.
        bare = not token.startswith("#") and "_" not in token
        if looks_like_id(token) and not (bare and len(token) < _MIN_BARE_ID):
            seen.add(token, _kind_before(text, match.start(), kinds) if kinds else "", source)


def tool_id_kinds(tools: list[ToolSpec]) -> frozenset[str]:
    """Every word that names an identifier kind among these tools' parameters (nested ones too)."""
    words: set[str] = set()

    def walk(schema: Any) -> None:
        if isinstance(schema, dict):
            for name, sub in (schema.get("properties") or {}).items():
                if is_identifier_param(name, sub if isinstance(sub, dict) else None):
                    words.update(kind_tokens(name))
                walk(sub)
            for key in ("items", "anyOf", "oneOf", "allOf"):
                walk(schema.get(key))
        elif isinstance(schema, list):
            for item in schema:
                walk(item)

    for tool in tools:
        walk(tool.parameters)
    return frozenset(words)


def _collection_kind(key: str) -> str:
    return f"{_singular(key.lower())}_id"


def _from_json(
    node: Any, seen: SeenIdentifiers, source: str, key: str = "", kinds: frozenset[str] = frozenset()
) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            k = str(k)
            if is_identifier_param(k) and isinstance(v, (str, int)):
                # A bare "id" inside an item of a collection takes the collection's kind.
                seen.add(v, k if k.lower() not in ID_NAMES or not key else _collection_kind(key), source)
            elif is_identifier_param(k) and isinstance(v, list):
                for item in v:
                    seen.add(item, k, source)
            if key and not is_identifier_param(key) and looks_like_id(k) and isinstance(v, dict):
                seen.add(k, _collection_kind(key), source)  # {"credit_card_123": {...}} under payment_methods
            _from_json(v, seen, source, k, kinds)
    elif isinstance(node, str):
        if is_identifier_param(key):
            return  # added with its kind by the enclosing dict or list
        if key and " " not in node.strip():
            # A lone value under a named non-id key ("zip": "80243", "flight_number": "HAT228",
            # "dob": "1963-01-22") is that, not an id: it fits only parameters sharing its key's
            # words, and a kindless mention of the same value stops fitting every id.
            if looks_like_id(node):
                seen.add(node, key, source)
        else:
            _from_text(node, seen, source, kinds)  # "Added 2 GB of data for line L1002"
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, str) and key and looks_like_id(item):
                seen.add(item, key if is_identifier_param(key) else _collection_kind(key), source)
            else:
                _from_json(item, seen, source, key, kinds)


def _python_literal(text: str) -> dict | list | None:
    """A tool result written as a Python literal (``{'message_id': 4}``), as data; else None."""
    if not text or text.lstrip()[:1] not in ("{", "["):
        return None
    try:
        value = ast.literal_eval(text)  # literals only: a result is data, never code
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, (dict, list)) else None


def seen_identifiers(state: DecisionState) -> SeenIdentifiers:
    """Deterministically collect the identifier values visible at this decision (see module docstring)."""
    seen = SeenIdentifiers()
    kinds = tool_id_kinds(state.tools)
    if state.ticket:
        _from_text(state.ticket, seen, "ticket", kinds)
    pending: list = []
    for m in state.messages:
        if m.role == "user":
            _from_text(m.content, seen, "user", kinds)
        elif m.role == "assistant" and m.tool_calls:
            pending = list(m.tool_calls)
        elif m.role == "tool" and pending:
            call = pending.pop(0)
            if not m.error:
                _from_json(call.arguments, seen, f"call:{call.name}", kinds=kinds)
        if m.role == "tool" and not m.error:
            source = f"tool:{m.tool_name or 'tool'}"
            try:
                data = json.loads(m.content)
            except (json.JSONDecodeError, TypeError):
                data = _python_literal(m.content)
                if data is None:
                    _from_text(m.content, seen, source, kinds)
                    continue
            if isinstance(data, (dict, list)):
                _from_json(data, seen, source, kinds=kinds)
            else:
                _from_text(str(data), seen, source, kinds)
    return seen


def identifier_values(arguments: Any, schema: dict[str, Any] | None, name: str = "") -> list[tuple[str, Any]]:
    """``(param, value)`` for every identifier value in a call's arguments, nested ones included."""
    out: list[tuple[str, Any]] = []
    schema = schema if isinstance(schema, dict) else {}
    if isinstance(arguments, dict):
        props = schema.get("properties") or {}
        for k, v in arguments.items():
            sub = props.get(k) if isinstance(props.get(k), dict) else {}
            if is_identifier_param(k, sub) and isinstance(v, (str, int)) and not isinstance(v, bool):
                out.append((k, v))
            elif is_identifier_param(k, sub) and isinstance(v, list):
                out.extend(
                    (k, item) for item in v if isinstance(item, (str, int)) and not isinstance(item, bool)
                )
            else:
                out.extend(identifier_values(v, _item_schema(sub), k))
    elif isinstance(arguments, list):
        for item in arguments:
            out.extend(identifier_values(item, _item_schema(schema), name))
    return out


def _item_schema(schema: dict[str, Any]) -> dict[str, Any]:
    items = schema.get("items") if isinstance(schema, dict) else None
    if isinstance(items, dict):
        for option in items.get("anyOf") or [items]:
            if isinstance(option, dict) and option.get("properties"):
                return option
        return items
    return schema if isinstance(schema, dict) and schema.get("properties") else {}


def unseen_identifiers(
    tool: ToolSpec | None, arguments: dict[str, Any], seen: SeenIdentifiers
) -> list[tuple[str, str]]:
    """``(param, value)`` pairs of identifier arguments that were never seen, in argument order."""
    if tool is None:
        return []
    return [(p, str(v)) for p, v in identifier_values(arguments, tool.parameters) if not seen.contains(v, p)]


def unseen_id_error(tool_name: str, unseen: list[tuple[str, str]]) -> str:
    """The tool error an unseen-id call gets: which id, and what to do instead."""
    listed = ", ".join(f"{p}={v!r}" for p, v in unseen)
    return (
        f"Refused {tool_name}: {listed} does not appear in the conversation or in any tool result. "
        "Never guess an id: look it up with a tool first, or ask the customer for it."
    )


def render_seen(seen: SeenIdentifiers, limit: int = 20) -> list[str]:
    """Compact lines for a prompt: ``- 4WQ150 (reservation_id, from get_user_details)``."""
    lines = []
    # Values kept under a non-id key (a zip code, a birth date) are not identifiers to offer.
    shown = [v for v in seen.values if not v.kind or is_identifier_param(v.kind)]
    for v in shown[-limit:]:
        source = v.source.split(":", 1)[1] if ":" in v.source else f"the {v.source}"
        lines.append(f"- {v.value} ({v.kind or 'id'}, from {source})")
    return lines

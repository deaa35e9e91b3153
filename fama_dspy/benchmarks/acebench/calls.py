"""ACEBench's call strings (``[name(key='value', ...)]``): parsed as data, rendered, compared.

ACEBench's milestones are call strings, and its agents write the same text. Here they are only
ever parsed with ``ast``: the string must be one call, or a list/tuple of calls, of plain names
with keyword arguments, and each argument value goes through ``ast.literal_eval`` (literals
only). Nothing is evaluated: a milestone that is not of that shape is an error, not code.

Some milestones quote a value containing an apostrophe with the same quote
(``merchant_name='Domino's'``), which is not valid Python; an apostrophe between two letters is
escaped and the string parsed again, which recovers every such milestone of this snapshot.

Our agents make one structured call per decision, so a call is compared with a milestone by its
name and arguments (``call_key``: arguments in sorted order, values as JSON), not by its text:
the argument order or quote style an agent happens to produce does not count against it. A
milestone listing several calls (``[a(...), b(...)]``, one ACEBench message) is matched by that
many consecutive calls (``scoring.py``).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

#: An apostrophe inside a word (Domino's, don't): ACEBench's milestones leave some unescaped.
_INNER_APOSTROPHE = re.compile(r"(?<=[A-Za-z])'(?=[A-Za-z])")


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


def _strip_brackets(text: str) -> str:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return text[1:-1].strip()
    return text


def _parse_expression(text: str) -> ast.expr:
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return ast.parse(_INNER_APOSTROPHE.sub(r"\\'", text), mode="eval").body


def parse_calls(text: str) -> list[Call]:
    """The calls of one ACEBench call string; ``ValueError`` when it is not plain calls of literals."""
    inner = _strip_brackets(text)
    try:
        body = _parse_expression(inner)
    except SyntaxError as exc:
        raise ValueError(f"not a call string: {text!r}") from exc
    nodes = body.elts if isinstance(body, (ast.List, ast.Tuple)) else [body]
    calls = []
    for node in nodes:
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.args:
            raise ValueError(f"not a call with keyword arguments: {ast.unparse(node)!r}")
        arguments = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise ValueError(f"**arguments are not allowed: {ast.unparse(node)!r}")
            arguments[keyword.arg] = ast.literal_eval(keyword.value)
        calls.append(Call(node.func.id, arguments))
    return calls


def render_call(name: str, arguments: dict[str, Any]) -> str:
    """ACEBench's call text for one call, arguments in the given order (as its executor writes them)."""
    args = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"[{name}({args})]"


def call_key(name: str, arguments: dict[str, Any]) -> str:
    """What two calls must share to count as the same call: the name and the arguments as data."""
    return f"{name}({json.dumps(arguments, sort_keys=True, ensure_ascii=False, default=str)})"


def milestone_keys(milestone: str) -> tuple[str, ...]:
    """The call keys a milestone stands for; its stripped text when it is not a call string."""
    try:
        return tuple(call_key(c.name, c.arguments) for c in parse_calls(milestone))
    except (ValueError, SyntaxError):
        return (milestone.strip(),)


def process_keys(process: list[str]) -> list[str]:
    """An episode's process (one call string per executed call) as call keys, in order."""
    keys: list[str] = []
    for text in process:
        keys.extend(milestone_keys(text))
    return keys

"""ACEBench's tool descriptions as ``ToolSpec``s: its schema dialect turned into JSON Schema.

ACEBench writes parameters as ``{"type": "dict", "properties": …, "required": …}`` with its own
type names (``dict``, ``list``, ``float``, ``any``, …), nested in ``properties`` and ``items``.
The agents' validation (``jsonschema``) needs standard JSON Schema, so types are renamed
(``tool_schemas.TYPE_ALIASES``; ``any`` drops the type) at every level, and a ``required`` name
that is not a declared property is dropped (``reserve_flight`` requires ``payment_methods`` but
declares, and its method takes, ``payment_method``: as written no call could be valid). Nothing
else changes: ``enum`` and ``default`` stay, and objects stay open (no ``additionalProperties:
false``), because ACEBench's sandbox methods decide what they accept (an unknown top-level
argument is their ``TypeError``, shown as an execution error exactly as in ACEBench; extra keys
inside an order item are ignored by the sandbox). Constrained decoding tightens the schemas
further itself (``tool_schemas.engine_schema``).

The solo stop tool is ``done``, the name the agents' solo signature already tells them to call
(ACEBench's agent ends by writing "finish conversation").
"""

from __future__ import annotations

import copy
from typing import Any

from fama_dspy.conversation import ToolSpec
from fama_dspy.tool_schemas import TYPE_ALIASES

STOP_TOOL = "done"
STOP_DESCRIPTION = "Call this when the task is complete: it ends the task (ACEBench's 'finish conversation')."
#: Name prefixes of ACEBench's read-only tools (lookups); every other tool may change the sandbox.
READ_ONLY_PREFIXES = ("get_", "view_", "search_", "check_", "find_")


def _json_type(kind: Any) -> Any:
    if isinstance(kind, str):
        return TYPE_ALIASES.get(kind.lower(), kind.lower())
    if isinstance(kind, list):
        return [_json_type(k) for k in kind]
    return kind


def json_schema(node: Any) -> Any:
    """ACEBench's parameter schema (or any node of it) in standard JSON Schema."""
    if isinstance(node, list):
        return [json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "type":
            kind = _json_type(value)
            if kind != "any":
                out["type"] = kind
        elif key == "properties" and isinstance(value, dict):
            out["properties"] = {name: json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf") and isinstance(
            value, (dict, list)
        ):
            out[key] = json_schema(value)
        else:
            out[key] = copy.deepcopy(value)
    if isinstance(out.get("properties"), dict):
        out.setdefault("type", "object")
        if isinstance(out.get("required"), list):
            out["required"] = [name for name in out["required"] if name in out["properties"]]
    return out


def tool_spec(function: dict[str, Any]) -> ToolSpec:
    parameters = json_schema(function.get("parameters") or {"type": "dict", "properties": {}})
    parameters.setdefault("type", "object")
    parameters.setdefault("properties", {})
    name = function["name"]
    return ToolSpec(
        name=name,
        description=function.get("description", ""),
        parameters=parameters,
        writes=not name.startswith(READ_ONLY_PREFIXES),
    )


def stop_tool() -> ToolSpec:
    return ToolSpec(name=STOP_TOOL, description=STOP_DESCRIPTION, writes=False)


def task_tools(functions: list[dict[str, Any]], solo: bool) -> list[ToolSpec]:
    """The task's tools, plus the stop tool in solo mode."""
    specs = [tool_spec(f) for f in functions]
    return specs + [stop_tool()] if solo else specs

"""Tool parameter schemas in the plain JSON Schema that every structured-output engine accepts.

Benchmarks describe tool arguments in dialects: pydantic's (``title`` on every node, nested models
under ``$defs`` + ``$ref``), ACEBench's (``"type": "dict"``, ``"float"``), and τ²'s "a structured
item or any object" alternatives. Grammar compilers (llama.cpp's GBNF, xgrammar, outlines) reject
some of these and silently widen others, so a schema goes through ``engine_schema`` before it is
used to constrain decoding.

What ``engine_schema`` does, and why each step keeps the set of *valid* arguments or narrows it:
- inlines local ``$ref``s (one recursion level) and drops ``$defs``, ``title``, ``examples``,
  ``default`` and ``$schema``: annotations, not constraints;
- maps type aliases (``dict`` → ``object``, ``float`` → ``number``, ``int`` → ``integer``, ...);
- drops an ``anyOf`` alternative that is a bare open object when a structured alternative exists
  (τ²'s ``FlightInfo | dict``): decoding then writes the structured form, which validates;
- closes objects that declare properties (``additionalProperties: false``) unless the tool's
  schema explicitly allows extra keys;
- bounds free text (``maxLength``) and lists (``maxItems``) that have no bound of their own, so a
  model that starts repeating itself is cut by the grammar, not by the token limit.
"""

from __future__ import annotations

import copy
from typing import Any

#: Upper bounds for unbounded argument values; generous for real arguments, short of a runaway loop.
MAX_STRING_CHARS = 300
MAX_ARRAY_ITEMS = 12

TYPE_ALIASES = {
    "dict": "object",
    "map": "object",
    "float": "number",
    "double": "number",
    "int": "integer",
    "long": "integer",
    "bool": "boolean",
    "str": "string",
    "list": "array",
    "tuple": "array",
}
_ANNOTATIONS = ("title", "examples", "default", "$schema", "$id", "$comment")
_SUBSCHEMA_KEYS = ("items", "not")
_SUBSCHEMA_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")


def _is_open_object(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and node.get("type") == "object"
        and not node.get("properties")
        and node.get("additionalProperties", True) not in (False, None)
    )


def _normalize_type(node: dict[str, Any]) -> None:
    kind = node.get("type")
    if isinstance(kind, str):
        kind = TYPE_ALIASES.get(kind.lower(), kind.lower())
        if kind == "any":
            node.pop("type")
        else:
            node["type"] = kind
    elif isinstance(kind, list):
        node["type"] = [TYPE_ALIASES.get(str(k).lower(), str(k).lower()) for k in kind]


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Local ``$ref``s inlined (a recursive model keeps one level), ``$defs`` and pydantic's string
    ``title`` annotations dropped: the set of valid arguments is unchanged, the schema self-contained."""
    defs = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}

    def walk(node: Any, seen: tuple[str, ...]) -> Any:
        if not isinstance(node, dict):
            return node
        node = dict(node)
        ref = node.pop("$ref", None)
        if isinstance(ref, str) and ref.startswith(("#/$defs/", "#/definitions/")):
            name = ref.rsplit("/", 1)[-1]
            rest = {k: v for k, v in node.items() if k != "title"}
            if name in seen:  # a recursive model: keep the reference's target shallow
                return {"type": "object", **rest}
            node = {**walk(defs.get(name, {}), seen + (name,)), **rest}
        node.pop("$defs", None)
        node.pop("definitions", None)
        if isinstance(node.get("title"), str):
            node.pop("title")
        if isinstance(node.get("properties"), dict):
            node["properties"] = {k: walk(v, seen) for k, v in node["properties"].items()}
        for key in ("items", "additionalProperties", "not"):
            if isinstance(node.get(key), dict):
                node[key] = walk(node[key], seen)
        for key in _SUBSCHEMA_LIST_KEYS:
            if isinstance(node.get(key), list):
                node[key] = [walk(v, seen) for v in node[key]]
        return node

    return walk(copy.deepcopy(schema), ())


def engine_schema(schema: dict[str, Any] | None, bound: bool = True) -> dict[str, Any]:
    """The engine-safe form of a tool's parameter schema (see the module docstring)."""
    schema = inline_refs(schema or {})

    def walk(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        node = dict(node)
        for key in _ANNOTATIONS:
            node.pop(key, None)
        _normalize_type(node)
        if isinstance(node.get("properties"), dict):
            node["properties"] = {k: walk(v) for k, v in node["properties"].items()}
            if "type" not in node:
                node["type"] = "object"
            required = [r for r in node.get("required") or [] if r in node["properties"]]
            if required:
                node["required"] = required
            else:
                node.pop("required", None)
            if node.get("additionalProperties", False) is False or node.get("additionalProperties") is None:
                node["additionalProperties"] = False
            elif isinstance(node["additionalProperties"], dict):
                node["additionalProperties"] = walk(node["additionalProperties"])
        for key in _SUBSCHEMA_KEYS:
            if isinstance(node.get(key), dict):
                node[key] = walk(node[key])
        for key in _SUBSCHEMA_LIST_KEYS:
            if isinstance(node.get(key), list):
                options = [walk(v) for v in node[key]]
                structured = [o for o in options if not _is_open_object(o)]
                node[key] = structured if key in ("anyOf", "oneOf") and structured else options
                if key in ("anyOf", "oneOf") and len(node[key]) == 1 and set(node) == {key}:
                    node = dict(node[key][0])
        if bound:
            if node.get("type") == "string" and not ({"enum", "const", "maxLength", "format"} & node.keys()):
                node["maxLength"] = MAX_STRING_CHARS
            if node.get("type") == "array" and "maxItems" not in node:
                node["maxItems"] = MAX_ARRAY_ITEMS
        return node

    out = walk(schema)
    if not out:
        out = {"type": "object", "properties": {}, "additionalProperties": False}
    if out.get("type") == "object" and "properties" not in out:
        out["properties"] = {}
        out.setdefault("additionalProperties", False)
    return out

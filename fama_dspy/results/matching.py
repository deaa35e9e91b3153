"""Compare a predicted tool call with a gold one, and check whether gold arguments are derivable.

Argument equality (``arguments_match``):
- keys compared: the gold action's ``compare_args`` when τ² gives them, else every key of either
  side; a key missing on one side takes the schema's ``default`` (else it differs);
- values are coerced *only* towards the type the tool's JSON schema declares for that argument
  ("1" → 1 for an integer, 1 → "1" for a string, "true" → True for a boolean, recursively in
  arrays and objects); strings are otherwise compared exactly (ids are case-sensitive).

Derivability (``underivable_values``): a gold argument is derivable when every leaf value of it
occurs, case-insensitively, in the text the agent sees (user turns or ticket, tool outputs, its
own earlier calls). Booleans, nulls, empty strings and values from a schema ``enum`` count as
derivable (they are choices, not facts to copy). Numbers match their plain or integral spelling.
"""

from __future__ import annotations

from typing import Any

MISSING = object()


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    return kind if isinstance(kind, list) else [kind] if kind else []


def normalize_value(value: Any, schema: Any) -> Any:
    """``value`` coerced towards the type ``schema`` declares (unchanged when it cannot be)."""
    if not isinstance(schema, dict) or value is MISSING:
        return value
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            for branch in schema[key]:
                coerced = normalize_value(value, branch)
                if _fits(coerced, branch):
                    return coerced
            return value
    for kind in _types(schema):
        coerced = _coerce(value, kind, schema)
        if _fits(coerced, {"type": kind}):
            return coerced
    return value


def _coerce(value: Any, kind: str, schema: dict[str, Any]) -> Any:
    if kind == "integer":
        if isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                return value
            return int(number) if number.is_integer() else value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif kind == "number" and isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    elif kind == "string" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    elif kind == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    elif kind == "array" and isinstance(value, list):
        return [normalize_value(v, schema.get("items")) for v in value]
    elif kind == "object" and isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        return {k: normalize_value(v, props.get(k, extra)) for k, v in value.items()}
    return value


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    kinds = _types(schema)
    if not kinds:
        return True
    checks = {
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "array": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
        "null": lambda v: v is None,
    }
    return any(checks.get(k, lambda v: True)(value) for k in kinds)


def compared_keys(
    gold: dict[str, Any], predicted: dict[str, Any], compare_args: list[str] | None
) -> list[str]:
    if compare_args is not None:
        return list(compare_args)
    return list(dict.fromkeys([*gold, *predicted]))


def arguments_match(
    predicted: dict[str, Any],
    gold: dict[str, Any],
    schema: dict[str, Any],
    compare_args: list[str] | None = None,
) -> list[str]:
    """Keys whose values differ after normalisation (empty list: the arguments match)."""
    props = (schema or {}).get("properties") or {}
    mismatched = []
    for key in compared_keys(gold, predicted, compare_args):
        sub = props.get(key)
        default = sub.get("default", MISSING) if isinstance(sub, dict) else MISSING
        g = normalize_value(gold.get(key, default), sub)
        p = normalize_value(predicted.get(key, default), sub)
        if g is MISSING or p is MISSING or g != p:
            mismatched.append(key)
    return mismatched


def _leaves(value: Any, schema: Any):
    """(leaf value, its schema) pairs of a nested argument value."""
    schema = schema if isinstance(schema, dict) else {}
    if "properties" not in schema and "items" not in schema:
        # Optional / union schemas: use the branch that describes the value's structure.
        branches = [b for b in schema.get("anyOf", []) or [] if isinstance(b, dict)]
        schema = next((b for b in branches if "properties" in b or "items" in b), schema)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        for k, v in value.items():
            yield from _leaves(v, props.get(k))
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, schema.get("items"))
    else:
        yield value, schema


def _has_enum(schema: dict[str, Any]) -> bool:
    if "enum" in schema or "const" in schema:
        return True
    return any(isinstance(b, dict) and _has_enum(b) for b in schema.get("anyOf", []) or [])


def _spellings(value: float) -> set[str]:
    spellings = {str(value)}
    if isinstance(value, float) and value.is_integer():
        spellings.add(str(int(value)))
    if isinstance(value, int):
        spellings.add(f"{value}.0")
    return spellings


def underivable_values(
    gold: dict[str, Any], schema: dict[str, Any], visible_text: str, compare_args: list[str] | None = None
) -> list[str]:
    """Gold leaf values (as text) that never occur in ``visible_text``; empty: derivable."""
    text = " ".join(visible_text.lower().split())
    props = (schema or {}).get("properties") or {}
    keys = list(compare_args) if compare_args is not None else list(gold)
    missing = []
    for key in keys:
        if key not in gold:
            continue
        for leaf, leaf_schema in _leaves(gold[key], props.get(key)):
            if leaf is None or isinstance(leaf, bool) or _has_enum(leaf_schema):
                continue
            if isinstance(leaf, (int, float)):
                if not any(s in text for s in _spellings(leaf)):
                    missing.append(f"{key}={leaf}")
            else:
                needle = " ".join(str(leaf).lower().split())
                if needle and needle not in text:
                    missing.append(f"{key}={leaf}")
    return missing

"""How a structured answer is decoded: constrained to a JSON schema, JSON mode, or free text.

- ``constrained`` (default): the engine's structured outputs (``response_format`` of type
  ``json_schema``; llama.cpp compiles it to a grammar, vLLM/SGLang use guided decoding, Ollama its
  ``format``). The tool-use agent's schema is built per decision from the tools it may call *now*:
  one variant per tool (``tool_name`` fixed, ``arguments`` = that tool's own parameter schema), plus
  a bounded message variant in interactive mode. An unknown tool, a missing required argument, a
  wrong type, an invented enum value or runaway text cannot be emitted. With ``id_policy="seen"``
  identifier arguments are further restricted to the ids visible at the decision.
- ``json``: JSON mode (any JSON object); the prompt describes the fields.
- ``free``: no response format at all; the adapter parses what comes back.

When an endpoint rejects a schema, the run falls back to JSON mode for that endpoint, once, with
one logged line (``SchemaFallbacks``): never silently, and never per call.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from fama_dspy.conversation import DecisionState, ToolSpec
from fama_dspy.errors import ConfigError
from fama_dspy.identifiers import SeenIdentifiers, is_identifier_param, seen_identifiers
from fama_dspy.tool_schemas import engine_schema

DECODING_MODES = ("constrained", "json", "free")
ID_POLICIES = ("seen", "free")
DEFAULT_DECODING = "constrained"
DEFAULT_ID_POLICY = "seen"

#: Bounds on free text in a decision: a thought is one or two sentences, a message a few.
MAX_REASONING_CHARS = 400
MAX_MESSAGE_CHARS = 700
#: Generation budgets (tokens) per kind of answer: well above what the bounded schema allows
#: (≈ 4 characters per token), far below the old 768-token default that a repeating answer filled.
DECISION_MAX_TOKENS = 512
#: Native function calling has no reasoning field: a call or a short message.
FC_MAX_TOKENS = 320
#: Where a native-FC answer is over when the engine hands the call back as text (llama.cpp does with
#: the Qwen2.5 template): measured, the model then imagines the tool's reply or pads with blank lines
#: up to the limit, 320 tokens at ~4 tokens/s per slot spent after a complete call. Neither string
#: belongs in a call (JSON strings hold no raw newlines) or in a message.
FC_STOP_SEQUENCES = ("<tool_response>", "\n\n\n\n")
SPECIALIST_MAX_TOKENS = 384

logger = logging.getLogger("fama_dspy.decoding")


def check_decoding(mode: str) -> str:
    key = (mode or "").strip().lower()
    if key not in DECODING_MODES:
        raise ConfigError(f"Unknown decoding mode {mode!r}; valid modes: {', '.join(DECODING_MODES)}.")
    return key


def check_id_policy(policy: str) -> str:
    key = (policy or "").strip().lower()
    if key not in ID_POLICIES:
        raise ConfigError(f"Unknown id policy {policy!r}; valid policies: {', '.join(ID_POLICIES)}.")
    return key


def decoding_label(decoding: str | None, id_policy: str | None) -> str:
    """The name suffix of a non-default setting: ``@json``, ``@free/ids-free``, ``@ids-free``, or ''."""
    parts = []
    if decoding and decoding != DEFAULT_DECODING:
        parts.append(decoding)
    if id_policy and id_policy != DEFAULT_ID_POLICY:
        parts.append(f"ids-{id_policy}")
    return "@" + "/".join(parts) if parts else ""


def _restrict_ids(schema: dict[str, Any], seen: SeenIdentifiers, name: str = "") -> dict[str, Any] | None:
    """The schema with identifier values restricted to compatible seen ones; None if one has none."""
    node = dict(schema)
    props = node.get("properties")
    if isinstance(props, dict):
        new_props = {}
        for key, sub in props.items():
            if not isinstance(sub, dict):
                new_props[key] = sub
                continue
            if is_identifier_param(key, sub):
                values = seen.for_param(key)
                restricted = _enum_of(sub, values)
                if restricted is None:
                    if key in (node.get("required") or []):
                        return None
                    continue  # an optional unseen-id argument is left out of the variant
                new_props[key] = restricted
            else:
                inner = _restrict_ids(sub, seen, key)
                if inner is None:
                    if key in (node.get("required") or []):
                        return None
                    continue
                new_props[key] = inner
        node["properties"] = new_props
    if isinstance(node.get("items"), dict):
        inner = _restrict_ids(node["items"], seen, name)
        if inner is None:
            return None
        node["items"] = inner
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            options = [
                o
                for o in (_restrict_ids(o, seen, name) if isinstance(o, dict) else o for o in node[key])
                if o
            ]
            if not options:
                return None
            node[key] = options
    return node


def _enum_of(schema: dict[str, Any], values: list[str]) -> dict[str, Any] | None:
    """An identifier's schema as an enum of seen values, typed like the parameter; None if none fit."""
    if schema.get("type") == "array":
        items = schema.get("items") if isinstance(schema.get("items"), dict) else {"type": "string"}
        inner = _enum_of(items, values)
        if inner is None:
            return {**schema, "maxItems": 0}  # only the empty list: an id list cannot be invented
        return {**schema, "items": inner}
    if "enum" in schema or "const" in schema:
        allowed = schema.get("enum", [schema.get("const")])
        kept = [v for v in allowed if str(v) in values]
        return (
            {k: v for k, v in schema.items() if k not in ("enum", "const")} | {"enum": kept} if kept else None
        )
    if schema.get("type") == "integer":
        typed: list[Any] = [int(v) for v in values if v.lstrip("-").isdigit()]
    else:
        typed = list(values)
    if not typed:
        return None
    keep = {k: v for k, v in schema.items() if k in ("type", "description")}
    return {**keep, "enum": typed}


def tool_variant(
    tool: ToolSpec, seen: SeenIdentifiers | None = None, with_kind: bool = True
) -> dict[str, Any] | None:
    """The schema of a call to ``tool`` (None when ``seen`` rules out a required identifier)."""
    arguments = engine_schema(tool.parameters)
    if seen is not None:
        arguments = _restrict_ids(arguments, seen)
        if arguments is None:
            return None
    props: dict[str, Any] = {"tool_name": {"type": "string", "const": tool.name}, "arguments": arguments}
    if with_kind:
        props = {"kind": {"type": "string", "const": "tool_call"}, **props}
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def message_variant() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "const": "message"},
            "message": {"type": "string", "minLength": 1, "maxLength": MAX_MESSAGE_CHARS},
        },
        "required": ["kind", "message"],
        "additionalProperties": False,
    }


def action_schema(
    state: DecisionState, id_policy: str = DEFAULT_ID_POLICY, seen: SeenIdentifiers | None = None
) -> dict[str, Any]:
    """The union of actions the agent may take at this decision (see the module docstring).

    A tool whose required identifier has no compatible seen value is dropped from the union under
    ``id_policy="seen"``: the agent can still ask the customer (message variant) or call the
    lookup that reveals the id. In solo mode the stop tool (any tool without identifier
    parameters) always stays, so the union is never empty. ``seen``: the state's ids when the caller
    has them already (collected here otherwise).
    """
    if check_id_policy(id_policy) != "seen":
        seen = None
    elif seen is None:
        seen = seen_identifiers(state)
    with_kind = not state.solo
    variants = [v for v in (tool_variant(t, seen, with_kind) for t in state.tools) if v is not None]
    if not state.solo:
        variants.append(message_variant())
    if not variants:  # every tool needs an unseen id and no message is allowed: fall back to free ids
        variants = [tool_variant(t, None, with_kind) for t in state.tools]
    return variants[0] if len(variants) == 1 else {"anyOf": variants}


def decision_schema(
    state: DecisionState,
    output_field: str,
    reasoning: bool,
    id_policy: str = DEFAULT_ID_POLICY,
    seen: SeenIdentifiers | None = None,
) -> dict[str, Any]:
    """The whole JSON answer of a tool-use signature: an optional bounded ``reasoning``, then the action."""
    props: dict[str, Any] = {}
    if reasoning:
        props["reasoning"] = {"type": "string", "maxLength": MAX_REASONING_CHARS}
    props[output_field] = action_schema(state, id_policy, seen)
    return {"type": "object", "properties": props, "required": list(props), "additionalProperties": False}


def response_format(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI-style ``response_format`` carrying ``schema`` (what LiteLLM passes to every engine)."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


class SchemaFallbacks:
    """Endpoints that rejected a constrained schema in this process: they get JSON mode from then on."""

    def __init__(self) -> None:
        self._endpoints: set[str] = set()
        self._lock = threading.Lock()

    def rejected(self, endpoint: str) -> bool:
        return endpoint in self._endpoints

    def record(self, endpoint: str, error: BaseException) -> None:
        with self._lock:
            if endpoint in self._endpoints:
                return
            self._endpoints.add(endpoint)
        logger.warning(
            "the endpoint %s rejected a constrained-decoding schema (%s); falling back to JSON mode for the rest of the run",
            endpoint,
            str(error).splitlines()[0][:200] if str(error) else type(error).__name__,
        )

    def clear(self) -> None:
        with self._lock:
            self._endpoints.clear()


FALLBACKS = SchemaFallbacks()


def is_schema_rejection(error: BaseException) -> bool:
    """An engine's refusal of the response format itself (HTTP 400 naming the schema or grammar)."""
    text = f"{type(error).__name__} {error}".lower()
    bad_request = "badrequest" in text or "400" in text or "invalid_request" in text
    return bad_request and any(w in text for w in ("response_format", "json_schema", "schema", "grammar"))

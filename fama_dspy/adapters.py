"""How fama-dspy's signatures go on the wire: JSON answers for structured decisions, native tools for FC.

Measured on the small local models: with DSPy's ChatAdapter they failed silently (empty tool names,
the schema echoed back), with JSON answers they parsed every time, so every structured call is a
JSON answer, decoded as ``fama_dspy.decoding`` says (constrained to a schema, JSON mode, or free).
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import dspy
import pydantic
from dspy.adapters.json_adapter import JSONAdapter

from fama_dspy.decoding import FALLBACKS, check_decoding, is_schema_rejection, response_format
from fama_dspy.errors import ConfigError
from fama_dspy.tool_schemas import engine_schema

#: The ``lm_kwargs`` key through which a caller hands this adapter the schema of one call.
SCHEMA_KWARG = "fama_json_schema"

#: How a prompt is laid out. ``shared-prefix`` (default): the domain block (policy, then tools) opens
#: the system message, byte-identical for the tool-use agent, every specialist, every trial and
#: decision of a domain, so the server's prompt cache serves it to all of them; each predictor's own
#: instructions and fields follow. ``per-signature``: DSPy's layout, each predictor's instructions
#: first and the policy among its inputs (the layout before the shared prefix; kept to measure it).
PROMPT_LAYOUTS = ("shared-prefix", "per-signature")
DEFAULT_PROMPT_LAYOUT = "shared-prefix"
#: What runs and programs recorded before the layout was recorded were made with.
LEGACY_PROMPT_LAYOUT = "per-signature"
#: Inputs that belong to the domain block, under the name the block gives them, in block order.
DOMAIN_FIELDS = {"policy": "policy", "tools": "tools", "available_tools": "tools"}
DOMAIN_BLOCK_ORDER = ("policy", "tools")
DOMAIN_BLOCK_INTRO = "The domain you work in: its policy and tools hold for every step of the task."

_layout: contextvars.ContextVar[str] = contextvars.ContextVar(
    "fama_prompt_layout", default=DEFAULT_PROMPT_LAYOUT
)


def check_prompt_layout(layout: str) -> str:
    key = (layout or "").strip().lower()
    if key not in PROMPT_LAYOUTS:
        raise ConfigError(f"Unknown prompt layout {layout!r}; valid layouts: {', '.join(PROMPT_LAYOUTS)}.")
    return key


@contextmanager
def prompt_layout(layout: str) -> Iterator[None]:
    """Lay out every prompt formatted inside the block as ``layout`` (see ``PROMPT_LAYOUTS``)."""
    token = _layout.set(check_prompt_layout(layout))
    try:
        yield
    finally:
        _layout.reset(token)


def current_prompt_layout() -> str:
    return _layout.get()


def domain_block(sections: dict[str, str]) -> str:
    """The shared opening of a system message: the intro, then each non-empty section in block order."""
    parts = [DOMAIN_BLOCK_INTRO]
    for name in DOMAIN_BLOCK_ORDER:
        if sections.get(name):
            parts.append(f"[[ ## {name} ## ]]\n{sections[name]}")
    return "\n\n".join(parts)


def endpoint_id(lm) -> str:
    """A stable name of the endpoint behind an LM (the fama endpoint header, else model + base)."""
    headers = (getattr(lm, "kwargs", {}) or {}).get("headers") or {}
    return headers.get("X-Fama-Endpoint") or f"{getattr(lm, 'model', '?')}@{lm.kwargs.get('api_base', '')}"


def schema_or_fallback(lm, constrained: Callable[[], Any], plain: Callable[[], Any]) -> Any:
    """``constrained()``; when the endpoint rejects its schema, record that once and run ``plain()``."""
    try:
        return constrained()
    except Exception as exc:
        if not is_schema_rejection(exc):
            raise
        FALLBACKS.record(endpoint_id(lm), exc)
        return plain()


def signature_schema(signature) -> dict[str, Any]:
    """The JSON schema of a signature's outputs, with bounded strings and lists (``engine_schema``)."""
    fields = {name: (f.annotation, ...) for name, f in signature.output_fields.items()}
    model = pydantic.create_model("Outputs", __config__=pydantic.ConfigDict(extra="forbid"), **fields)
    return engine_schema(model.model_json_schema())


class JSONModeAdapter(JSONAdapter):
    """JSONAdapter whose response format follows a decoding mode instead of the LM's catalog entry.

    - ``constrained``: the schema the caller passes for this call (``config={SCHEMA_KWARG: schema}``,
      e.g. the tool-use agent's per-decision action union), else the signature's own output schema
      with bounded strings and lists. An endpoint that rejects a schema gets JSON mode from then on
      (one logged line per endpoint, see ``decoding.SchemaFallbacks``).
    - ``json``: JSON mode. DSPy's own choice (a strict schema for catalogued models) would force
      ``AgentAction.arguments`` to ``{}``, so it is never used.
    - ``free``: no response format; the prompt alone asks for JSON.
    """

    def __init__(self, decoding: str = "json", callbacks=None):
        super().__init__(callbacks=callbacks)
        self.decoding = check_decoding(decoding)

    def format(self, signature, demos, inputs) -> list[dict[str, Any]]:
        """DSPy's messages, with the domain inputs moved into a shared block opening the system message.

        The moved fields leave the signature for this call, so neither the field list nor the demos
        repeat them (compact demos carry no policy or tools anyway).
        """
        moved = [name for name in signature.input_fields if name in DOMAIN_FIELDS and inputs.get(name)]
        if _layout.get() != "shared-prefix" or not moved:
            return super().format(signature, demos, inputs)
        block = domain_block({DOMAIN_FIELDS[name]: str(inputs[name]) for name in moved})
        rest = signature
        for name in moved:
            rest = rest.delete(name)
        messages = super().format(rest, demos, {k: v for k, v in inputs.items() if k not in moved})
        messages[0] = {**messages[0], "content": f"{block}\n\n{messages[0]['content']}"}
        return messages

    def _prepare_response_format(self, lm, lm_kwargs, signature):
        schema = lm_kwargs.pop(SCHEMA_KWARG, None)
        if self.decoding == "free":
            lm_kwargs.pop("response_format", None)
            return
        if "response_format" not in lm.supported_params:
            return
        if self.decoding == "constrained" and not FALLBACKS.rejected(endpoint_id(lm)):
            if schema is None:
                schema = signature_schema(signature)
            lm_kwargs["response_format"] = response_format(signature.__name__, schema)
        else:
            lm_kwargs["response_format"] = {"type": "json_object"}

    def __call__(self, lm, lm_kwargs, signature, demos, inputs):
        def call():
            # _prepare_response_format picks the format afresh: JSON mode once the endpoint is recorded.
            return super(JSONModeAdapter, self).__call__(lm, dict(lm_kwargs), signature, demos, inputs)

        if self.decoding != "constrained" or FALLBACKS.rejected(endpoint_id(lm)):
            return call()
        return schema_or_fallback(lm, call, call)


class NativeToolCallingAdapter(dspy.Adapter):
    """Native function calling: the tools go through the LM's ``tools`` API, the dialogue as chat turns.

    The signature has a ``tools`` input (OpenAI function schemas), a ``dialogue`` input (OpenAI chat
    messages), a ``dspy.ToolCalls`` output and one text output. Every other non-empty input becomes a
    section of the system message after the instructions. Tools are sent whatever the LM's capability
    catalog says: local models are unknown to it, and choosing this adapter is the request for
    native calls. A reply without tool calls is taken verbatim as the text output.

    DSPy demos are not rendered: a native dialogue has no slot for them, so optimizers tune the
    instructions of such a predictor, not its examples.

    A caller may hand one call a JSON schema (``config={SCHEMA_KWARG: schema}``): it is sent as the
    structured-output ``response_format`` beside the tools (llama.cpp keeps the tool listing in
    the prompt and constrains the reply), and the reply is then the schema's JSON in the text. An
    endpoint that rejects it gets the plain native call, once logged (``decoding.SchemaFallbacks``).
    """

    def __init__(self, tools_field: str = "tools", dialogue_field: str = "dialogue", callbacks=None):
        super().__init__(callbacks=callbacks, use_native_function_calling=True)
        self.tools_field = tools_field
        self.dialogue_field = dialogue_field

    def __call__(self, lm, lm_kwargs, signature, demos, inputs):
        lm_kwargs = dict(lm_kwargs)
        schema = lm_kwargs.pop(SCHEMA_KWARG, None)
        usable = "response_format" in lm.supported_params and not FALLBACKS.rejected(endpoint_id(lm))

        def plain():
            return super(NativeToolCallingAdapter, self).__call__(lm, lm_kwargs, signature, demos, inputs)

        if schema is None or not usable:
            return plain()
        constrained = {**lm_kwargs, "response_format": response_format(signature.__name__, schema)}
        return schema_or_fallback(
            lm,
            lambda: super(NativeToolCallingAdapter, self).__call__(lm, constrained, signature, demos, inputs),
            plain,
        )

    def _call_preprocess(self, lm, lm_kwargs, signature, inputs):
        lm_kwargs["tools"] = inputs[self.tools_field]
        calls_field = self._get_tool_call_output_field_name(signature)
        return signature.delete(self.tools_field).delete(calls_field)

    def format(self, signature, demos, inputs) -> list[dict[str, Any]]:
        # The tools travel through the tools API (the chat template places them), so the shared
        # block here is the policy alone: the same opening as the specialists' prompts.
        shared = _layout.get() == "shared-prefix" and inputs.get("policy")
        sections = [domain_block({"policy": str(inputs["policy"])})] if shared else []
        sections.append(signature.instructions)
        for name in signature.input_fields:
            value = inputs.get(name)
            if name != self.dialogue_field and value and not (shared and name == "policy"):
                sections.append(f"# {name.replace('_', ' ').capitalize()}\n{value}")
        return [{"role": "system", "content": "\n\n".join(sections)}, *inputs[self.dialogue_field]]

    def parse(self, signature, completion: str) -> dict[str, Any]:
        # After preprocessing, the only output left is the text reply.
        return {name: completion.strip() for name in signature.output_fields}

"""How fama-dspy's signatures go on the wire: JSON mode for structured decisions, native tools for FC.

DESIGN §8: with DSPy's ChatAdapter the small model failed silently, with JSONAdapter it parsed
every time, so JSON is the default for every structured call.
"""

from __future__ import annotations

from typing import Any

import dspy
from dspy.adapters.json_adapter import JSONAdapter


class JSONModeAdapter(JSONAdapter):
    """JSONAdapter that always asks for JSON mode, never a strict JSON schema.

    For models whose catalog entry supports structured outputs, JSONAdapter sends a strict schema,
    and strict schemas force every object to declare its keys: ``AgentAction.arguments`` (free-form
    tool arguments) would be constrained to ``{}``. JSON mode keeps the arguments open; the
    signature's own prompt still describes the expected fields.
    """

    def _prepare_response_format(self, lm, lm_kwargs, signature):
        if "response_format" in lm.supported_params:
            lm_kwargs["response_format"] = {"type": "json_object"}


class NativeToolCallingAdapter(dspy.Adapter):
    """Native function calling: the tools go through the LM's ``tools`` API, the dialogue as chat turns.

    The signature has a ``tools`` input (OpenAI function schemas), a ``dialogue`` input (OpenAI chat
    messages), a ``dspy.ToolCalls`` output and one text output. Every other non-empty input becomes a
    section of the system message after the instructions. Tools are sent whatever the LM's capability
    catalog says: local models are unknown to it, and choosing this adapter is the request for
    native calls. A reply without tool calls is taken verbatim as the text output.

    DSPy demos are not rendered: a native dialogue has no slot for them, so optimizers tune the
    instructions of such a predictor, not its examples.
    """

    def __init__(self, tools_field: str = "tools", dialogue_field: str = "dialogue", callbacks=None):
        super().__init__(callbacks=callbacks, use_native_function_calling=True)
        self.tools_field = tools_field
        self.dialogue_field = dialogue_field

    def _call_preprocess(self, lm, lm_kwargs, signature, inputs):
        lm_kwargs["tools"] = inputs[self.tools_field]
        calls_field = self._get_tool_call_output_field_name(signature)
        return signature.delete(self.tools_field).delete(calls_field)

    def format(self, signature, demos, inputs) -> list[dict[str, Any]]:
        sections = [signature.instructions]
        for name in signature.input_fields:
            value = inputs.get(name)
            if name != self.dialogue_field and value:
                sections.append(f"# {name.replace('_', ' ').capitalize()}\n{value}")
        return [{"role": "system", "content": "\n\n".join(sections)}, *inputs[self.dialogue_field]]

    def parse(self, signature, completion: str) -> dict[str, Any]:
        # After preprocessing, the only output left is the text reply.
        return {name: completion.strip() for name in signature.output_fields}

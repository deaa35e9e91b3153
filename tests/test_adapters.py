import dspy
import pytest
from dspy.utils.exceptions import AdapterParseError
from fama_dspy.signatures.tool_use import ToolUse, ToolUseFunctionCalling
from scripted_lm import ScriptedEngine, action_reply, tool_call_reply

from fama_dspy.adapters import JSONModeAdapter, NativeToolCallingAdapter

TOOL = {
    "type": "function",
    "function": {"name": "get_order", "description": "d", "parameters": {"type": "object", "properties": {}}},
}


class SchemaCapableEngine(ScriptedEngine):
    """Claims strict structured outputs, like a hosted model in LiteLLM's catalog."""

    supports_response_schema = True


def decide(adapter, engine):
    lm = dspy.LM("scripted/test", engine=engine, cache=False, num_retries=0)
    with dspy.context(lm=lm, adapter=adapter):
        return dspy.Predict(ToolUse)(policy="p", tools="get_order() - d", conversation="[0] user: hi")


def test_json_mode_keeps_tool_arguments_open():
    reply = action_reply(kind="tool_call", tool_name="get_order", arguments={"order_id": "#W1"})
    engine = SchemaCapableEngine({"agent": [reply]})
    pred = decide(JSONModeAdapter(), engine)
    assert engine.calls[0].config.response_format == {"type": "json_object"}
    assert pred.action.arguments == {"order_id": "#W1"}


def test_plain_json_adapter_would_send_a_strict_schema():
    # The reason JSONModeAdapter exists: the strict schema closes `arguments` to {}.
    engine = SchemaCapableEngine({"agent": [action_reply(kind="message", message="hi")]})
    decide(dspy.JSONAdapter(), engine)
    sent = engine.calls[0].config.response_format
    assert sent["type"] == "json_schema"
    arguments = sent["schema"]["$defs"]["AgentAction"]["properties"]["arguments"]
    assert arguments["additionalProperties"] is False and arguments["properties"] == {}


def run_fc(engine, **inputs):
    lm = dspy.LM("scripted/test", engine=engine, cache=False, num_retries=0)
    defaults = {"policy": "Be kind.", "tools": [TOOL], "dialogue": [{"role": "user", "content": "hi"}]}
    with dspy.context(lm=lm, adapter=NativeToolCallingAdapter()):
        return dspy.Predict(ToolUseFunctionCalling)(**{**defaults, **inputs})


def test_native_adapter_sends_tools_and_a_chat_dialogue():
    engine = ScriptedEngine({"agent": [tool_call_reply("get_order", order_id="#W1")]})
    pred = run_fc(
        engine,
        context="## Notes\nuse ids",
        dialogue=[
            {"role": "user", "content": "where is #W1?"},
            {"role": "assistant", "content": "Checking."},
            {"role": "user", "content": "thanks"},
        ],
    )
    call = engine.calls[0]
    assert call.tools == ["get_order"]
    assert call.system.startswith(ToolUseFunctionCalling.instructions)
    assert "# Policy\nBe kind." in call.system and "# Context\n## Notes\nuse ids" in call.system
    assert "# Feedback" not in call.system and "get_order" not in call.system
    assert [(m["role"], m["content"]) for m in call.messages] == [
        ("user", "where is #W1?"),
        ("assistant", "Checking."),
        ("user", "thanks"),
    ]
    assert pred.tool_calls.tool_calls[0].name == "get_order"
    assert pred.tool_calls.tool_calls[0].args == {"order_id": "#W1"}


def test_native_adapter_takes_text_verbatim():
    pred = run_fc(ScriptedEngine({"agent": ["  Your order shipped.  "]}))
    assert pred.message == "Your order shipped." and pred.tool_calls is None


def test_native_adapter_rejects_an_empty_reply():
    with pytest.raises(AdapterParseError):
        run_fc(ScriptedEngine({"agent": [""]}))

import dspy
import pytest
from dspy.utils.exceptions import AdapterParseError
from fama_dspy.signatures.tool_use import ToolUse, ToolUseFunctionCalling
from scripted_lm import ScriptedEngine, action_reply, tool_call_reply

from fama_dspy.adapters import (
    JSONModeAdapter,
    NativeToolCallingAdapter,
    check_prompt_layout,
    domain_block,
    prompt_layout,
)
from fama_dspy.errors import ConfigError

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
    assert call.system.startswith(domain_block({"policy": "Be kind."}))
    assert (
        ToolUseFunctionCalling.instructions in call.system and "# Context\n## Notes\nuse ids" in call.system
    )
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


# --- prompt layout: the domain block opens every system message -------------------------------


def test_shared_prefix_is_byte_identical_across_agent_and_specialists(scripted, state):
    from test_fama_agent import script

    from fama_dspy.conversation import render_tools
    from fama_dspy.fama_agent import FamaAgent

    engine = scripted(script())
    FamaAgent(specialists=("dce", "tsa", "pln"))(state=state)
    block = domain_block({"policy": state.policy, "tools": render_tools(state.tools)})
    with_tools = [c for c in engine.calls if c.role in ("agent", "tsa", "pln")]
    assert {c.role for c in with_tools} == {"agent", "tsa", "pln"}
    for call in with_tools:
        assert call.system.startswith(block + "\n\n"), call.role
        # Moved, not repeated: neither the field list nor the user turn carries policy or tools again.
        rest = call.system[len(block) :] + "".join(str(m["content"]) for m in call.messages)
        assert state.policy not in rest and "[[ ## tools ## ]]" not in rest
        assert "`policy`" not in rest and "`available_tools`" not in rest
    # The constraints checker reads the policy only: it shares the block up to the tools section.
    (dce,) = engine.of("dce")
    assert dce.system.startswith(domain_block({"policy": state.policy}) + "\n\n")


def test_per_signature_layout_keeps_dspys_order(scripted, state):
    from test_fama_agent import script

    from fama_dspy.fama_agent import FamaAgent

    engine = scripted(script())
    with prompt_layout("per-signature"):
        FamaAgent(specialists=("dce",))(state=state)
    for call in engine.calls:
        assert call.system.startswith("Your input fields are:")
        assert state.policy in call.messages[-1]["content"]


def test_native_adapter_opens_with_the_policy_block():
    engine = ScriptedEngine({"agent": ["ok"]})
    run_fc(engine)
    system = engine.calls[0].system
    assert system.startswith(
        domain_block({"policy": "Be kind."}) + "\n\n" + ToolUseFunctionCalling.instructions
    )
    assert "# Policy" not in system


def test_unknown_prompt_layout_is_a_config_error():
    with pytest.raises(ConfigError, match="valid layouts: shared-prefix, per-signature"):
        check_prompt_layout("policy-last")


def test_prompt_layout_flag_holds_for_the_whole_command(monkeypatch, tmp_path):
    from fama_dspy import cli
    from fama_dspy.adapters import current_prompt_layout
    from fama_dspy.commands import bench

    seen = []
    monkeypatch.setattr(bench, "bench_command", lambda args: seen.append(current_prompt_layout()) or 0)
    base = ["bench", "--domain", "mock", "--out", str(tmp_path)]
    assert cli.main([*base, "--prompt-layout", "per-signature"]) == 0
    assert cli.main(base) == 0
    assert seen == ["per-signature", "shared-prefix"]

"""Decoding modes of the tool-use agent with a scripted LM: what is sent, and what an unusable answer costs."""

import json
import logging

import jsonschema
import pytest
from fama_dspy.signatures.action import AgentAction
from scripted_lm import action_reply, tool_call_reply, truncated

from fama_dspy.agent import ToolUseAgent
from fama_dspy.conversation import DecisionState, Message, ToolSpec
from fama_dspy.decoding import FALLBACKS, MAX_MESSAGE_CHARS, action_schema, check_decoding, decision_schema
from fama_dspy.errors import ConfigError
from fama_dspy.fama_agent import FamaAgent

CANCEL_REPLY = action_reply(kind="tool_call", tool_name="cancel_order", arguments={"order_id": "#W1"})


def sent_schema(call) -> dict:
    fmt = call.config.response_format
    assert fmt["type"] == "json_schema"
    return fmt["schema"]


def test_constrained_is_the_default_and_sends_the_decisions_action_union(scripted, state):
    engine = scripted({"agent": [CANCEL_REPLY]})
    ToolUseAgent()(state=state)
    schema = sent_schema(engine.calls[0])
    assert list(schema["properties"]) == ["reasoning", "action"]
    variants = schema["properties"]["action"]["anyOf"]
    names = [v["properties"].get("tool_name", {}).get("const") for v in variants]
    assert names == ["get_order", "cancel_order", "done", None]  # one variant per tool, then the message
    assert variants[-1]["properties"]["message"]["maxLength"] == MAX_MESSAGE_CHARS
    assert engine.calls[0].config.max_tokens == 512
    # An invented tool or a missing required argument cannot be emitted.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"kind": "tool_call", "tool_name": "refund", "arguments": {}}, schema["properties"]["action"]
        )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"kind": "tool_call", "tool_name": "cancel_order", "arguments": {}},
            schema["properties"]["action"],
        )


def test_solo_schema_is_tool_calls_only(scripted, state):
    engine = scripted({"agent": [CANCEL_REPLY]})
    solo = state.model_copy(update={"ticket": "Cancel #W1."})
    ToolUseAgent()(state=solo)
    schema = sent_schema(engine.calls[0])
    variants = schema["properties"]["call"]["anyOf"]
    assert all("kind" not in v["properties"] for v in variants)
    assert {v["properties"]["tool_name"]["const"] for v in variants} == {"get_order", "cancel_order", "done"}


@pytest.mark.parametrize("mode, expected", [("json", {"type": "json_object"}), ("free", None)])
def test_json_and_free_modes(scripted, state, mode, expected):
    engine = scripted({"agent": [CANCEL_REPLY]})
    assert ToolUseAgent(decoding=mode, id_policy="free")(state=state).action.tool_name == "cancel_order"
    assert engine.calls[0].config.response_format == expected


def test_unknown_modes_are_config_errors():
    with pytest.raises(ConfigError):
        check_decoding("grammar")
    with pytest.raises(ConfigError):
        ToolUseAgent(id_policy="maybe")


def test_a_rejected_schema_falls_back_to_json_mode_once_per_endpoint(scripted, state, caplog):
    FALLBACKS.clear()
    rejection = RuntimeError("BadRequestError: 400 invalid response_format: failed to parse grammar")
    engine = scripted({"agent": [rejection, CANCEL_REPLY]})
    try:
        with caplog.at_level(logging.WARNING, logger="fama_dspy.decoding"):
            agent = ToolUseAgent()
            assert agent(state=state).action.tool_name == "cancel_order"
            assert agent(state=state).action.tool_name == "cancel_order"
        formats = [c.config.response_format for c in engine.calls]
        assert formats[0]["type"] == "json_schema" and formats[1:] == [{"type": "json_object"}] * 2
        assert sum("rejected a constrained-decoding schema" in r.getMessage() for r in caplog.records) == 1
    finally:
        FALLBACKS.clear()


def test_other_errors_are_not_taken_for_a_rejection(scripted, state):
    FALLBACKS.clear()
    scripted({"agent": [RuntimeError("connection reset")]})
    with pytest.raises(Exception, match="connection reset"):
        ToolUseAgent()(state=state)


def test_a_truncated_answer_is_a_counted_parse_failure_even_when_it_parses(scripted, state):
    cut_message = json.dumps(
        {"reasoning": "x", "action": {"kind": "message", "message": "Your order was can"}}
    )
    engine = scripted({"agent": [truncated(cut_message), CANCEL_REPLY]})
    pred = ToolUseAgent()(state=state)
    assert pred.action.tool_name == "cancel_order"
    assert (pred.truncations, pred.parse_failures) == (1, 1)
    assert "cut off at the length limit" in engine.calls[1].messages[-1]["content"]


def test_fc_padded_call_cut_in_trailing_whitespace_is_kept(scripted, state):
    call = '```json\n{"name": "cancel_order", "arguments": {"order_id": "#W1"}}\n```' + "\n" * 40
    scripted({"agent": [truncated(call)]})
    pred = ToolUseAgent(mode="fc")(state=state)
    assert pred.action.tool_name == "cancel_order" and pred.truncations == 1 and pred.parse_failures == 0


def test_fc_solo_requires_a_tool_call_and_normalises_schemas(scripted, state):
    engine = scripted({"agent": [{"tool_calls": [{"name": "cancel_order", "args": {"order_id": "#W1"}}]}]})
    solo = state.model_copy(update={"ticket": "Cancel #W1."})
    ToolUseAgent(mode="fc")(state=solo)
    assert engine.calls[0].config.tool_choice.mode == "required"
    assert engine.calls[0].config.max_tokens == 320


def test_fc_stops_where_a_text_call_is_over(scripted, state):
    # The engine may return the call as text and go on imagining the tool's reply or padding with
    # blank lines up to the limit; both strings end the answer there.
    engine = scripted({"agent": [tool_call_reply("cancel_order", order_id="#W1")]})
    ToolUseAgent(mode="fc")(state=state)
    assert set(engine.calls[0].config.stop) == {"<tool_response>", "\n\n\n\n"}


UNSEEN = action_reply(kind="tool_call", tool_name="cancel_order", arguments={"order_id": "#W999"})


@pytest.mark.parametrize("mode", ["json", "free"])
def test_unseen_id_calls_are_rejected_and_repaired_outside_constrained_decoding(scripted, state, mode):
    engine = scripted({"agent": [UNSEEN, CANCEL_REPLY]})
    pred = ToolUseAgent(decoding=mode)(state=state)
    assert pred.action.arguments == {"order_id": "#W1"}
    assert pred.unseen_id_rejections == 1 and pred.parse_failures == 1
    hint = engine.calls[1].messages[-1]["content"]
    assert "order_id='#W999'" in hint and "look it up with a tool first" in hint


def test_fc_unseen_id_call_is_rejected(scripted, state):
    scripted(
        {
            "agent": [
                {"tool_calls": [{"name": "cancel_order", "args": {"order_id": "#W999"}}]},
                {"tool_calls": [{"name": "cancel_order", "args": {"order_id": "#W1"}}]},
            ]
        }
    )
    pred = ToolUseAgent(mode="fc")(state=state)
    assert pred.action.arguments == {"order_id": "#W1"} and pred.unseen_id_rejections == 1


def test_id_policy_free_lets_unseen_ids_through(scripted, state):
    scripted({"agent": [UNSEEN]})
    pred = ToolUseAgent(decoding="json", id_policy="free")(state=state)
    assert pred.action.arguments == {"order_id": "#W999"} and pred.unseen_id_rejections == 0


def test_constrained_schema_enumerates_the_seen_ids(scripted, state):
    engine = scripted({"agent": [CANCEL_REPLY]})
    ToolUseAgent()(state=state)
    variants = sent_schema(engine.calls[0])["properties"]["action"]["anyOf"]
    cancel = next(v for v in variants if v["properties"].get("tool_name", {}).get("const") == "cancel_order")
    assert "#W1" in cancel["properties"]["arguments"]["properties"]["order_id"]["enum"]


def test_decoding_is_recorded_and_saved(tmp_path, scripted, state):
    scripted({"agent": [CANCEL_REPLY]})
    agent = FamaAgent(specialists=["mem"], decoding="json", id_policy="free")
    info = agent(state=state).info
    assert (info["decoding"], info["id_policy"], info["truncations"], info["unseen_id_rejections"]) == (
        "json",
        "free",
        0,
        0,
    )
    path = tmp_path / "agent.json"
    agent.save(path)
    from fama_dspy.configs import load_agent

    loaded = load_agent(path)
    assert (loaded.decoding, loaded.agent.decoding, loaded.id_policy) == ("json", "json", "free")
    assert loaded.agent.adapter.decoding == "json"


def test_decision_schema_without_reasoning():
    state = DecisionState(
        policy="p", tools=[ToolSpec(name="done")], messages=[Message(role="user", content="hi")]
    )
    schema = decision_schema(state, "action", reasoning=False)
    assert list(schema["properties"]) == ["action"]
    jsonschema.validate(
        AgentAction(kind="message", message="Hello").model_dump(include={"kind", "message"}),
        action_schema(state),
    )


FC_LOOKUP_JSON = json.dumps({"kind": "tool_call", "tool_name": "get_order", "arguments": {"order_id": "#W1"}})


def with_write_tool(state: DecisionState) -> DecisionState:
    tools = [t.model_copy(update={"writes": True}) if t.name == "cancel_order" else t for t in state.tools]
    return state.model_copy(update={"tools": tools})


def test_fc_retries_an_unusable_answer_under_the_action_schema_with_the_native_tools(scripted, state):
    # The 1.5B coder model often ends its turn with an empty reply and does so again when asked
    # plainly; the constrained retry must yield an action, and the first attempt stays native.
    engine = scripted({"agent": ["", FC_LOOKUP_JSON]})
    pred = ToolUseAgent(mode="fc")(state=with_write_tool(state))
    assert pred.action.tool_name == "get_order" and pred.action.arguments == {"order_id": "#W1"}
    assert (pred.parse_failures, pred.fallback) == (1, False)
    first, retry = engine.calls
    assert first.config.response_format is None
    assert retry.tools == first.tools == ["get_order", "cancel_order", "done"]  # native listing kept
    variants = sent_schema(retry)["anyOf"]
    # A forced answer may look up or ask, never write: cancel_order is not offered.
    assert [v["properties"].get("tool_name", {}).get("const") for v in variants] == [
        "get_order",
        "done",
        None,
    ]
    assert variants[0]["properties"]["arguments"]["properties"]["order_id"]["enum"] == ["#W1"]


def test_fc_constrained_retry_may_write_a_message_which_is_cleaned_not_sent_as_json(scripted, state):
    reply = json.dumps({"kind": "message", "message": "Which order would you like to cancel?\x00"})
    scripted({"agent": ["", reply]})
    pred = ToolUseAgent(mode="fc")(state=state)
    assert pred.action.kind == "message"
    assert pred.action.message == "Which order would you like to cancel?"


def test_fc_solo_retry_schema_holds_calls_only_and_replaces_tool_choice(scripted, state):
    engine = scripted({"agent": ["", json.dumps({"tool_name": "done", "arguments": {}})]})
    solo = with_write_tool(state).model_copy(update={"ticket": "Cancel #W1."})
    pred = ToolUseAgent(mode="fc")(state=solo)
    assert pred.action.tool_name == "done"
    first, retry = engine.calls
    assert first.config.tool_choice.mode == "required"
    assert retry.config.tool_choice is None
    variants = sent_schema(retry)["anyOf"]
    assert all("kind" not in v["properties"] for v in variants)
    # No user to ask: every tool stays, writes included.
    assert [v["properties"]["tool_name"]["const"] for v in variants] == ["get_order", "cancel_order", "done"]


@pytest.mark.parametrize("mode", ["json", "free"])
def test_fc_outside_constrained_decoding_retries_natively(scripted, state, mode):
    engine = scripted({"agent": ["", ""]})
    pred = ToolUseAgent(mode="fc", decoding=mode)(state=state)
    assert pred.fallback and pred.parse_failures == 2
    assert [c.config.response_format for c in engine.calls] == [None, None]


def test_fc_retry_schema_rejected_by_the_endpoint_falls_back_to_a_native_retry(scripted, state, caplog):
    FALLBACKS.clear()
    rejection = RuntimeError("BadRequestError: 400 invalid response_format: failed to parse grammar")
    engine = scripted({"agent": ["", rejection, tool_call_reply("cancel_order", order_id="#W1")]})
    try:
        with caplog.at_level(logging.WARNING, logger="fama_dspy.decoding"):
            pred = ToolUseAgent(mode="fc")(state=state)
        assert pred.action.tool_name == "cancel_order"
        assert engine.calls[1].config.response_format["type"] == "json_schema"
        assert engine.calls[2].config.response_format is None
        assert sum("rejected a constrained-decoding schema" in r.getMessage() for r in caplog.records) == 1
    finally:
        FALLBACKS.clear()

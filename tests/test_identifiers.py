import json

import jsonschema
import pytest

from fama_dspy.conversation import DecisionState, Message, ToolCall, ToolSpec
from fama_dspy.decoding import action_schema
from fama_dspy.identifiers import (
    is_identifier_param,
    render_seen,
    seen_identifiers,
    unseen_id_error,
    unseen_identifiers,
)

EXPECTED_ID_PARAMS = {
    "airline": {"payment_id", "reservation_id", "user_id"},
    "retail": {"item_ids", "new_item_ids", "order_id", "payment_method_id", "product_id", "user_id"},
    "telecom": {"bill_id", "customer_id", "id", "line_id"},
    "mock": {"task_id", "user_id"},
}


@pytest.mark.parametrize("domain", sorted(EXPECTED_ID_PARAMS))
def test_identifier_rule_on_every_tau2_domain(domain):
    from fama_dspy.benchmarks.tau2.builders import agent_tools, make_environment
    from fama_dspy.benchmarks.tau2.convert import tools_to_specs

    solo = domain in ("telecom", "mock")
    specs = tools_to_specs(agent_tools(make_environment(domain, solo), solo))
    found = {
        k
        for s in specs
        for k, v in (s.parameters.get("properties") or {}).items()
        if is_identifier_param(k, v)
    }
    assert found == EXPECTED_ID_PARAMS[domain]


def test_explicit_metadata_wins_over_the_name():
    assert not is_identifier_param("order_id", {"x-identifier": False})
    assert is_identifier_param("locator", {"x-identifier": True})
    assert not is_identifier_param("flight_number") and not is_identifier_param("email")


USER = {
    "user_id": "mia_li_3668",
    "reservations": ["4WQ150", "SDZQKO"],
    "payment_methods": {"credit_card_123": {"source": "credit_card", "id": "credit_card_123"}},
    "orders": [{"order_id": "#W100", "items": [{"item_id": "6777246137", "name": "lamp"}]}],
    "note": "line L1002 was topped up",
    "address": {"zip": "80243", "address1": "889 Hillcrest Drive"},
}
GET_USER = ToolSpec(
    name="get_user_details",
    writes=False,
    parameters={"type": "object", "properties": {"user_id": {"type": "string"}}, "required": ["user_id"]},
)
CANCEL = ToolSpec(
    name="cancel_reservation",
    parameters={
        "type": "object",
        "properties": {"reservation_id": {"type": "string"}},
        "required": ["reservation_id"],
    },
)
EXCHANGE = ToolSpec(
    name="exchange",
    parameters={
        "type": "object",
        "properties": {
            "order_id": {"type": "string"},
            "item_ids": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["order_id", "item_ids"],
    },
)


def looked_up_state() -> DecisionState:
    return DecisionState(
        policy="p",
        tools=[GET_USER, CANCEL, EXCHANGE],
        messages=[
            Message(role="user", content="Hi, I'm mia_li_3668. Cancel my trip please."),
            Message(
                role="assistant",
                tool_calls=[ToolCall(name="get_user_details", arguments={"user_id": "mia_li_3668"})],
            ),
            Message(role="tool", tool_name="get_user_details", content=json.dumps(USER)),
            Message(
                role="assistant",
                tool_calls=[ToolCall(name="cancel_reservation", arguments={"reservation_id": "ZZZ999"})],
            ),
            Message(
                role="tool",
                tool_name="cancel_reservation",
                content="Error: reservation ZZZ999 not found",
                error=True,
            ),
        ],
    )


def test_seen_values_from_nested_tool_outputs_with_kind_and_source():
    seen = seen_identifiers(looked_up_state())
    by_value: dict = {}
    for v in seen.values:
        by_value.setdefault(v.value, v)  # first sighting
    assert by_value["mia_li_3668"].source == "user"
    assert {"4WQ150", "SDZQKO"} <= set(seen.for_param("reservation_id"))
    assert by_value["credit_card_123"].kind == "payment_method_id"
    assert "6777246137" in seen.for_param("item_ids") and "#W100" in seen.for_param("order_id")
    assert "L1002" in by_value  # ids inside a tool's free text count too
    assert "ZZZ999" not in by_value  # an error echoes the bad id: not seen
    # Kinds keep reservation ids out of an order id's choices; the user id, first seen kindless in
    # the greeting, is a user id once the lookup showed it: it no longer fits a reservation id.
    assert "4WQ150" not in seen.for_param("order_id")
    assert "mia_li_3668" in seen.for_param("user_id")
    assert "mia_li_3668" not in seen.for_param("reservation_id")
    # A lone value under a named non-id key is that value (a zip code), not an id of any kind.
    assert "80243" in by_value and "80243" not in seen.for_param("reservation_id")
    assert "80243" not in seen.for_param("user_id") and "80243" not in seen.for_param("item_ids")
    assert not any("80243" in line for line in render_seen(seen))
    assert any("4WQ150 (reservation_id, from get_user_details)" == line[2:] for line in render_seen(seen))


def test_free_text_ids_take_the_kind_named_before_them():
    def seen_in(text: str):
        return seen_identifiers(
            DecisionState(
                policy="p", tools=[GET_USER, CANCEL, EXCHANGE], messages=[Message(role="user", content=text)]
            )
        )

    # Measured on airline test points: with every free-text id fitting every parameter, the 1.5B
    # model called get_reservation_details(reservation_id=<the customer's user id>).
    seen = seen_in("My user id is noah_muller_9847 and my reservation number is SDZQKO.")
    assert seen.for_param("user_id") == ["noah_muller_9847"]
    assert seen.for_param("reservation_id") == ["SDZQKO"]
    assert unseen_identifiers(CANCEL, {"reservation_id": "noah_muller_9847"}, seen) == [
        ("reservation_id", "noah_muller_9847")
    ]
    assert seen_in("Exchange items of order number: #W100 please").for_param("order_id") == ["#W100"]
    assert render_seen(seen) == [
        "- noah_muller_9847 (user_id, from the user)",
        "- SDZQKO (reservation_id, from the user)",
    ]
    # No kind word just before it (or a word that names no tool's id): the id fits any parameter,
    # so a legitimate first call is never blocked.
    for text in ("Hi, I'm mia_li_3668.", "mia_li_3668", "my zip is 46202 and I'm mia_li_3668"):
        seen = seen_in(text)
        assert "mia_li_3668" in seen.for_param("reservation_id") and "mia_li_3668" in seen.for_param(
            "user_id"
        )


def test_short_numbers_in_free_text_are_not_ids():
    # Measured on airline test points: the 1.5B model sent "100", "3pm" and "7334" from the
    # customer's message as reservation ids while they fitted every id parameter.
    text = "I paid 100 dollars, card ending 7334, for the 3pm flight; booking C1001, SDZQKO, #W1, user_1."
    seen = seen_identifiers(
        DecisionState(policy="p", tools=[GET_USER, CANCEL], messages=[Message(role="user", content=text)])
    )
    assert seen.for_param("reservation_id") == ["C1001", "SDZQKO", "#W1", "user_1"]


def test_unseen_ids_are_found_in_nested_arguments_and_explained():
    state = looked_up_state()
    seen = seen_identifiers(state)
    assert unseen_identifiers(CANCEL, {"reservation_id": "SDZQKO"}, seen) == []
    assert unseen_identifiers(CANCEL, {"reservation_id": "ABC123"}, seen) == [("reservation_id", "ABC123")]
    assert unseen_identifiers(EXCHANGE, {"order_id": "#W100", "item_ids": ["6777246137", "111"]}, seen) == [
        ("item_ids", "111")
    ]
    error = unseen_id_error("cancel_reservation", [("reservation_id", "ABC123")])
    assert "reservation_id='ABC123'" in error and "look it up" in error


def test_the_constrained_schema_enumerates_seen_ids_and_drops_calls_without_any():
    state = looked_up_state()
    schema = action_schema(state, "seen")
    variants = {
        v["properties"]["tool_name"]["const"]: v for v in schema["anyOf"] if "tool_name" in v["properties"]
    }
    assert set(
        variants["cancel_reservation"]["properties"]["arguments"]["properties"]["reservation_id"]["enum"]
    ) >= {"4WQ150", "SDZQKO"}
    assert "ZZZ999" not in json.dumps(variants["cancel_reservation"])
    jsonschema.validate(
        {"kind": "tool_call", "tool_name": "cancel_reservation", "arguments": {"reservation_id": "SDZQKO"}},
        schema,
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {
                "kind": "tool_call",
                "tool_name": "cancel_reservation",
                "arguments": {"reservation_id": "ABC123"},
            },
            schema,
        )
    # Nothing seen yet: a call that needs a reservation id is not offered; asking is.
    fresh = DecisionState(
        policy="p", tools=[CANCEL], messages=[Message(role="user", content="cancel my trip")]
    )
    kinds = (
        [v["properties"]["kind"]["const"] for v in action_schema(fresh, "seen")["anyOf"]]
        if "anyOf" in action_schema(fresh, "seen")
        else [action_schema(fresh, "seen")["properties"]["kind"]["const"]]
    )
    assert kinds == ["message"]
    assert "anyOf" in action_schema(fresh, "free")


@pytest.mark.parametrize(
    "domain, split, solo",
    [
        ("airline", "train", False),
        ("retail", "train", False),
        ("airline", "test", False),
        ("retail", "test", False),
        ("mock", None, True),
        ("telecom", "train", True),
    ],
)
def test_seen_policy_never_blocks_a_derivable_gold_call(domain, split, solo):
    from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points

    points = iter_decision_points(domain, split, solo=solo, num_tasks=15)
    derivable = [p for p in points if p.derivable]
    assert derivable
    for point in derivable:
        spec = point.state.tool(point.gold.tool_name)
        assert unseen_identifiers(spec, point.gold.arguments, seen_identifiers(point.state)) == [], point.id
        gold = {"tool_name": point.gold.tool_name, "arguments": point.gold.arguments}
        if not solo:
            gold["kind"] = "tool_call"
        jsonschema.validate(gold, action_schema(point.state, "seen"))

"""condense_trajectory: turn indices, tool-output trimming with keys/ids, message and total limits."""

from __future__ import annotations

import json

from fama_dspy.analysis.condense import OMITTED_MARK, condense_tool_output, condense_trajectory
from fama_dspy.conversation import Message, ToolCall


def _reservation(n_flights: int) -> str:
    flights = [
        {"flight_number": f"HAT{100 + i}", "date": "2024-05-15", "price": 100 + i} for i in range(n_flights)
    ]
    return json.dumps({"reservation_id": "ZFA04Y", "cabin": "basic_economy", "flights": flights}, indent=2)


def test_short_transcript_is_turn_indexed_and_complete():
    messages = [
        Message(role="user", content="Cancel   my\ntrip"),
        Message(
            role="assistant",
            tool_calls=[ToolCall(name="get_reservation_details", arguments={"reservation_id": "ZFA04Y"})],
        ),
        Message(role="tool", tool_name="get_reservation_details", content='{"a": 1}'),
        Message(role="tool", tool_name="cancel_reservation", content="not allowed", error=True),
        Message(role="assistant", content="Done."),
    ]
    assert condense_trajectory(messages).splitlines() == [
        "[0] user: Cancel my trip",
        '[1] assistant called get_reservation_details({"reservation_id": "ZFA04Y"})',
        '[2] tool result (get_reservation_details): {"a":1}',
        "[3] tool error (cancel_reservation): not allowed",
        "[4] assistant: Done.",
    ]


def test_long_tool_output_keeps_head_and_lists_keys_and_ids_past_it():
    out = condense_tool_output(_reservation(25), max_chars=300)
    head, _, summary = out.partition(" …(cut")
    assert len(head) == 300 and head.startswith('{"reservation_id":"ZFA04Y"')
    # Ids past the cut are listed, ids in the head are not repeated; dates are not ids.
    assert "HAT124" in summary and "HAT124" not in head
    assert "HAT100" in head and "HAT100" not in summary and "ZFA04Y" not in summary
    assert "2024-05-15" not in summary
    assert summary.startswith("; more ids: ") and summary.endswith(")")


def test_keys_past_the_head_are_listed():
    data = {"user_id": "u1", "orders": ["#W1"] * 60, "payment_methods": {"credit_card_7": {"brand": "visa"}}}
    summary = condense_tool_output(json.dumps(data), max_chars=100).partition(" …(cut")[2]
    assert "more keys: payment_methods, brand" in summary
    assert "credit_card_7" in summary


def test_summary_is_capped():
    out = condense_tool_output(_reservation(400), max_chars=300)
    assert len(out) <= 2 * 300 + len(" …(cut") + len(" …(cut)") + 1


def test_id_keys_of_retail_variants_are_listed_as_ids():
    variants = {"variants": {str(1008292230 + i): {"price": 10.0 + i, "available": True} for i in range(8)}}
    out = condense_tool_output(json.dumps(variants), max_chars=120)
    summary = out.partition(" …(cut")[2]
    assert "1008292237" in summary
    assert "variants" not in summary  # a key, and already in the head


def test_non_json_tool_output_still_yields_ids():
    text = "order #W2378156 " + "filler " * 100 + "status=delivered item 6777246137"
    summary = condense_tool_output(text, max_chars=80).partition(" …(cut")[2]
    assert summary == "; more keys: status; more ids: 6777246137)"


def test_short_json_is_compacted_not_cut():
    assert condense_tool_output('{\n  "a": [1, 2]\n}', max_chars=300) == '{"a":[1,2]}'


def test_long_messages_are_clipped():
    line = condense_trajectory([Message(role="user", content="x" * 5000)], max_message_chars=600)
    assert line.startswith("[0] user: xxx") and line.endswith("…(cut)")
    assert len(line) < 650


def test_total_limit_drops_middle_turns_and_keeps_indices():
    messages = [
        Message(role="user" if i % 2 else "assistant", content=f"turn {i} " + "y" * 150) for i in range(200)
    ]
    text = condense_trajectory(messages, max_total_chars=4000)
    lines = text.splitlines()
    assert len(text) <= 4000
    assert lines[0].startswith("[0] assistant: turn 0 ")
    assert lines[-1].startswith("[199] user: turn 199 ")
    marker = next(line for line in lines if OMITTED_MARK in line)
    first, last = marker[1:].split("]")[0].split("-")
    kept = [int(line[1:].split("]")[0]) for line in lines if line is not marker]
    assert int(first) == max(i for i in kept if i < int(first)) + 1
    assert int(last) == min(i for i in kept if i > int(last)) - 1
    assert f"{int(last) - int(first) + 1} {OMITTED_MARK}" in marker


def test_a_huge_last_turn_is_kept_clipped():
    messages = [Message(role="user", content="hello"), Message(role="assistant", content="z" * 50_000)]
    text = condense_trajectory(messages, max_message_chars=100_000, max_total_chars=2000)
    assert len(text) <= 2000
    assert text.splitlines()[-1].startswith("[1] assistant: zzz")


def test_dict_messages_and_empty_input():
    assert condense_trajectory([{"role": "user", "content": "hi"}]) == "[0] user: hi"
    assert condense_trajectory([]) == "(no messages)"

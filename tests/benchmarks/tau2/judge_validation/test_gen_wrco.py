"""WRCO perturbations: a neighbouring value from a tool output is reported as a wrong argument."""

from __future__ import annotations

from benchmarks.tau2.judge_validation.helpers import first, replayed
from fama_dspy.benchmarks.tau2.judge_validation.build import rejection
from fama_dspy.benchmarks.tau2.judge_validation.gen_wrco import neighbour_value, neighbours


def test_wrco_neighbour_swap_is_a_wrong_argument_with_a_db_mismatch(contexts):
    ctx, _, baseline = contexts("airline", "7")
    p = first(neighbour_value, ctx)
    record, ev = replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is True and ev.missed_actions == []
    tool, swapped = p.description.split(": ", 1)  # e.g. 'cancel_reservation: reservation_id "A" -> "B", ...'
    path, old, _, new = swapped.split(" ")[:4]
    [wrong] = ev.wrong_argument_actions
    assert wrong == f"{tool}: {path} expected {old}, got {new.rstrip(',')}"
    assert rejection(record, ev, p, baseline) is None and p.label == "WRCO"


def test_neighbours_follow_the_structure_of_the_output():
    output = {
        "payment_methods": {
            "gift_card_1": {"id": "gift_card_1"},
            "credit_card_2": {"id": "credit_card_2"},
            "paypal_3": {"id": "paypal_3"},
        },
        "flights": [
            {"flight_number": "HAT001", "price": 50},
            {"flight_number": "HAT002", "price": 60},
            {"flight_number": "HAT003", "price": 70},
        ],
        "reservations": ["AAA111", "BBB222", "CCC333"],
    }
    assert neighbours(output, "credit_card_2") == ["paypal_3", "gift_card_1"]
    assert neighbours(output, "HAT002") == ["HAT003", "HAT001"]
    assert neighbours(output, 70) == [60, 50]
    assert neighbours(output, "CCC333") == ["BBB222", "AAA111"]
    assert neighbours(output, "nowhere") == []

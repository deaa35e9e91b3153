"""Perturbed gold dialogues fail τ²'s evaluation for the intended reason; the shipped validation set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fama_dspy.analysis.taxonomy import CATEGORIES
from fama_dspy.benchmarks.tau2.evidence import evidence_from_record
from fama_dspy.benchmarks.tau2.perturb import (
    CONFIRM_REPLY,
    EXAMPLES_FILE,
    MANIFEST_FILE,
    cancel_ineligible_reservation,
    invented_id,
    load_validation_set,
    neighbour_value,
    neighbours,
    omit_requested_information,
    other_users_order,
    rejection,
    replay,
    stop_before_last_request,
    task_context,
    transfer_before_last_request,
    unearned_compensation,
    wrong_tool,
)
from fama_dspy.benchmarks.tau2.tasks import load_tasks

DATA = Path(__file__).resolve().parents[3] / "data" / "judge_validation"


@pytest.fixture(scope="module")
def contexts():
    """Task context and gold-dialogue evidence per (domain, task id), built once."""
    cache = {}

    def get(domain: str, task_id: str):
        if (domain, task_id) not in cache:
            task = load_tasks(domain, "train", task_ids=[task_id])[0]
            ctx = task_context(domain, task)
            gold = replay(task, domain, ctx.steps)
            cache[(domain, task_id)] = (ctx, gold, evidence_from_record(gold, task))
        return cache[(domain, task_id)]

    return get


def _first(generator, ctx):
    return next(generator(ctx))


def _replayed(ctx, perturbation):
    record = replay(ctx.task, ctx.domain, perturbation.steps, perturbation.kind)
    return record, evidence_from_record(record, ctx.task)


def _messages(record) -> list[tuple[str, str]]:
    """(role, text or called tool) per message."""
    out = []
    for m in record["messages"]:
        calls = m.get("tool_calls") or []
        out.append((m["role"], calls[0]["name"] if calls else m.get("content") or ""))
    return out


@pytest.mark.parametrize("domain, task_id", [("airline", "7"), ("retail", "0")])
def test_gold_dialogue_scores_one_and_confirms_every_write(contexts, domain, task_id):
    ctx, gold, baseline = contexts(domain, task_id)
    assert gold["reward"] == 1.0 and gold["termination"] == "user_stop" and gold["user_in_role"]
    messages = _messages(gold)
    assert messages[1][0] == "user" and len(messages[1][1]) > 40  # the whole request up front
    for i, (role, text) in enumerate(messages):
        if role == "assistant" and text in ctx.writes:
            assert (
                messages[i - 2][1].startswith("To confirm, I will now")
                and messages[i - 1][1] == CONFIRM_REPLY
            )
    assert baseline.missed_actions == baseline.wrong_argument_actions == []


def test_dpv_cancelling_an_ineligible_reservation_breaks_the_db_without_confirmation(contexts):
    ctx, _, baseline = contexts("airline", "0")
    p = _first(cancel_ineligible_reservation, ctx)
    record, ev = _replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is True
    assert ev.missed_actions == ev.wrong_argument_actions == ev.tool_errors == []
    messages = _messages(record)
    cancel = next(i for i, m in enumerate(messages) if m == ("assistant", "cancel_reservation"))
    assert not any(text.startswith("To confirm") for _, text in messages[:cancel])
    assert rejection(record, ev, p, baseline) is None and p.label == "DPV"


def test_dpv_generators_stay_in_their_domain(contexts):
    airline, _, _ = contexts("airline", "7")
    retail, _, _ = contexts("retail", "0")
    assert list(other_users_order(airline)) == [] and list(unearned_compensation(retail)) == []
    p = _first(other_users_order, retail)
    record, ev = _replayed(retail, p)
    assert record["reward"] == 0.0 and ev.db_mismatch and not ev.missed_actions and not ev.tool_errors
    request = next(
        i for i, (role, text) in enumerate(_messages(record)) if role == "user" and "My friend" in text
    )
    assert _messages(record)[request + 1 : request + 4 : 2] == [
        ("assistant", "get_order_details"),
        ("assistant", "cancel_pending_order"),
    ]


def test_wrco_neighbour_swap_is_a_wrong_argument_with_a_db_mismatch(contexts):
    ctx, _, baseline = contexts("airline", "7")
    p = _first(neighbour_value, ctx)
    record, ev = _replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is True and ev.missed_actions == []
    tool, swapped = p.description.split(": ", 1)  # e.g. 'cancel_reservation: reservation_id "A" -> "B", ...'
    path, old, _, new = swapped.split(" ")[:4]
    [wrong] = ev.wrong_argument_actions
    assert wrong == f"{tool}: {path} expected {old}, got {new.rstrip(',')}"
    assert rejection(record, ev, p, baseline) is None and p.label == "WRCO"


@pytest.mark.parametrize(
    "generator, domain, task_id", [(wrong_tool, "retail", "0"), (invented_id, "airline", "7")]
)
def test_cm_perturbations(contexts, generator, domain, task_id):
    ctx, _, baseline = contexts(domain, task_id)
    p = _first(generator, ctx)
    record, ev = _replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is True and p.label == "CM"
    if generator is wrong_tool:
        assert ev.missed_actions and ev.missed_actions[0].startswith("exchange_delivered_order_items(")
        assert ("assistant", "return_delivered_order_items") in _messages(record)
    else:
        assert ev.tool_errors and "not found" in ev.tool_errors[0]
    assert rejection(record, ev, p, baseline) is None


@pytest.mark.parametrize("generator", [stop_before_last_request, transfer_before_last_request])
def test_ifu_ending_early_leaves_the_last_request_undone(contexts, generator):
    ctx, _, baseline = contexts("airline", "7")
    p = _first(generator, ctx)
    record, ev = _replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is True
    assert ev.missed_actions == ['cancel_reservation({"reservation_id": "59XX6W"})']
    assert ev.wrong_argument_actions == []
    assert rejection(record, ev, p, baseline) is None and p.label == "IFU"


def test_ifu_omitted_information_keeps_the_db_right(contexts):
    ctx, _, baseline = contexts("airline", "7")
    p = _first(omit_requested_information, ctx)
    record, ev = _replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is False and ev.missing_information == ["1628"]
    assert rejection(record, ev, p, baseline) is None


def test_a_perturbation_that_does_not_fail_is_rejected(contexts):
    ctx, gold, baseline = contexts("airline", "7")
    p = _first(stop_before_last_request, ctx)
    assert rejection(gold, baseline, p, baseline) == "τ² scored it 1.0"


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


def test_shipped_validation_set_is_small_labelled_and_failing():
    path = DATA / EXAMPLES_FILE
    assert path.stat().st_size < 400_000
    rows = load_validation_set(DATA)
    counts = {c: sum(r["label"] == c for r in rows) for c in CATEGORIES}
    assert all(n >= 10 for n in counts.values()), counts
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        ev = r["evidence"]
        assert ev.reward == 0.0 and ev.user_in_role is True and ev.condensed_trajectory
        assert r["domain"] in ("airline", "retail") and r["description"]
    manifest = json.loads((DATA / MANIFEST_FILE).read_text())
    assert manifest["examples"] == len(rows) and manifest["by_label"] == counts


def test_a_shipped_example_is_reproduced_exactly(contexts):
    [row] = [r for r in load_validation_set(DATA) if r["id"] == "airline/0/cancel_ineligible_reservation"]
    ctx, _, _ = contexts("airline", "0")
    _, ev = _replayed(ctx, _first(cancel_ineligible_reservation, ctx))
    assert ev == row["evidence"]

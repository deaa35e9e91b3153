"""LLM-free evidence extraction from episode records (gold replays with deliberate faults)."""

from __future__ import annotations

import json

import pytest
from fama_dspy.signatures.action import AgentAction

from benchmarks.tau2.harness_helpers import ScriptedAgent, call
from fama_dspy.benchmarks.tau2.evidence import (
    evidence_from_record,
    failed_records,
    record_task,
    tau2_messages,
)
from fama_dspy.benchmarks.tau2.gold import gold_plan
from fama_dspy.benchmarks.tau2.records import dump_messages
from fama_dspy.benchmarks.tau2.runner import run_episodes
from fama_dspy.benchmarks.tau2.tasks import load_tasks

OTHER_CARD = "credit_card_4303738"  # daiki_muller_1116's second card


def _faulty_airline_7_plan() -> list[AgentAction]:
    """Gold plan of airline task 7 with the flight change paid by the user's other card and the
    second cancellation (59XX6W) left out; the first cancellation (XEHM4B) is kept."""
    plan = []
    for action in gold_plan(load_tasks("airline", "train", task_ids=["7"])[0]):
        if action.tool_name == "update_reservation_flights":
            action = action.model_copy(update={"arguments": {**action.arguments, "payment_id": OTHER_CARD}})
        if action.tool_name == "cancel_reservation" and action.arguments["reservation_id"] == "59XX6W":
            continue
        plan.append(action)
    return plan


@pytest.fixture(scope="module")
def faulty_record(tmp_path_factory):
    plan = _faulty_airline_7_plan()
    [record] = run_episodes(
        lambda: ScriptedAgent(plan),
        domain="airline",
        split="train",
        task_ids=["7"],
        user="scripted",
        out=tmp_path_factory.mktemp("run"),
        config_name="faulty",
        progress=False,
    )
    return record


def test_wrong_argument_and_missed_action(faulty_record):
    assert faulty_record["reward"] == 0.0
    ev = evidence_from_record(faulty_record)
    assert ev.wrong_argument_actions == [
        f'update_reservation_flights: payment_id expected "credit_card_2408938", got "{OTHER_CARD}"'
    ]
    # cancel_reservation(XEHM4B) matches its own gold action: it is no wrong-argument attempt at 59XX6W.
    assert ev.missed_actions == ['cancel_reservation({"reservation_id": "59XX6W"})']
    assert ev.db_mismatch is True and ev.missing_information == [] and ev.tool_errors == []
    assert (ev.task_id, ev.domain, ev.termination_reason, ev.user_in_role) == (
        "7",
        "airline",
        "user_stop",
        True,
    )
    assert ev.reward_breakdown == {"DB": 0.0, "COMMUNICATE": 1.0}
    lines = ev.condensed_trajectory.splitlines()
    assert lines[0].startswith("[0] assistant:") and any(OTHER_CARD in line for line in lines)


def test_messages_survive_the_record_round_trip(faulty_record):
    messages = tau2_messages(faulty_record["messages"])
    assert json.loads(json.dumps(dump_messages(messages))) == faulty_record["messages"]


def test_nested_arguments_name_the_differing_leaf(tmp_path):
    plan = [
        a.model_copy(
            update={
                "arguments": {
                    **a.arguments,
                    "flights": [
                        {"flight_number": "HAT005", "date": "2024-05-20"},
                        {"flight_number": "HAT999", "date": "2024-05-30"},
                    ],
                }
            }
        )
        if a.tool_name == "update_reservation_flights"
        else a
        for a in _faulty_airline_7_plan()
    ]
    [record] = run_episodes(
        lambda: ScriptedAgent(plan),
        domain="airline",
        split="train",
        task_ids=["7"],
        user="scripted",
        out=tmp_path,
        config_name="nested",
        progress=False,
    )
    ev = evidence_from_record(record)
    assert ev.wrong_argument_actions == [
        'update_reservation_flights: flights[1].flight_number expected "HAT178", got "HAT999"; '
        + f'payment_id expected "credit_card_2408938", got "{OTHER_CARD}"'
    ]
    assert ev.tool_errors and ev.tool_errors[0].startswith("update_reservation_flights: Error")


def test_an_episode_tau2_did_not_evaluate_gets_its_checks_computed(tmp_path):
    # Airline 3 must tell the user "4"; the agent loops on a read until max_steps, so τ² skips its checks.
    agent = lambda: ScriptedAgent([call("get_reservation_details", reservation_id="JMO1MG")])
    [record] = run_episodes(
        agent,
        domain="airline",
        split="train",
        task_ids=["3"],
        user="scripted",
        out=tmp_path,
        config_name="loop",
        max_steps=6,
        progress=False,
    )
    assert record["termination"] == "max_steps" and record["reward_details"]["db_match"] is None
    ev = evidence_from_record(record)
    assert ev.termination_reason == "max_steps"
    assert ev.db_mismatch is False  # reads only: the DB is as expected
    assert ev.missing_information == ["4"]
    assert ev.missed_actions == ['get_user_details({"user_id": "anya_garcia_5901"})']


def test_rejected_actions_fallbacks_and_writes_the_task_did_not_want(tmp_path):
    # The scripted user ends the call at the fallback message, so the exception comes last.
    agent = lambda: ScriptedAgent(
        [
            call("nope"),
            call("create_task", user_id="user_1", title="Important Meeting"),
            call("create_task", user_id="user_1", title="Extra"),
            RuntimeError("boom"),
        ]
    )
    [record] = run_episodes(
        agent,
        domain="mock",
        task_ids=["create_task_1"],
        user="scripted",
        out=tmp_path,
        config_name="messy",
        max_steps=40,
        progress=False,
    )
    ev = evidence_from_record(record)
    assert ev.invalid_actions == 1 and ev.fallbacks == 1
    assert ev.rejected_actions[0].startswith("decision 0: Unknown tool 'nope'")
    assert ev.rejected_actions[1] == "decision 2: the agent raised RuntimeError: boom"
    # The gold call happened, so nothing is missed; the extra write still breaks the DB.
    assert ev.missed_actions == [] and ev.wrong_argument_actions == [] and ev.db_mismatch is True
    assert "why agent actions were rejected" in ev.render()


def test_failed_records_keeps_errors_apart(tmp_path):
    records = [
        {"task_id": "a", "reward": 1.0, "error": None},
        {"task_id": "b", "reward": 0.0, "error": None},
        {"task_id": "c", "reward": 0.0, "error": "JSONDecodeError: Expecting value"},
        {"task_id": "d", "reward": 0.999_999_9, "error": None},
    ]
    selection = failed_records(records)
    assert [r["task_id"] for r in selection.failed] == ["b"]
    assert [r["task_id"] for r in selection.errors] == ["c"]
    (tmp_path / "episodes.jsonl").write_text(
        "".join(json.dumps({**r, "config": "x", "domain": "mock", "trial": 0}) + "\n" for r in records)
    )
    assert [r["task_id"] for r in failed_records(tmp_path).failed] == ["b"]


def test_a_record_whose_task_is_unknown_falls_back_to_the_stored_checks():
    record = {
        "task_id": "no-such-task",
        "domain": "mock",
        "split": "base",
        "reward": 0.0,
        "termination": "user_stop",
        "error": "ValueError: empty reply",
        "reward_details": {
            "db_match": False,
            "action_checks": [
                {
                    "action_id": "x",
                    "name": "create_task",
                    "requestor": "assistant",
                    "arguments": {"user_id": "user_1", "title": "T"},
                    "matched": False,
                }
            ],
            "communicate_checks": [{"info": "42", "met": False}],
        },
        "messages": [],
    }
    assert record_task(record) is None
    ev = evidence_from_record(record)
    assert ev.missed_actions == ['create_task({"title": "T", "user_id": "user_1"})']
    assert ev.missing_information == ["42"] and ev.db_mismatch is True
    assert ev.termination_reason == "user_stop: ValueError: empty reply"
    assert ev.condensed_trajectory == "(no messages)"

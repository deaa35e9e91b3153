"""Decision points from τ-trait's gold actions: ids, views, confirmation before writes, scoring."""

from __future__ import annotations

from fama_dspy.signatures.action import AgentAction

from fama_dspy.benchmarks import get_benchmark
from fama_dspy.benchmarks.tau_trait.customers import CONFIRM_ANSWER, CONFIRM_QUESTION
from fama_dspy.benchmarks.tau_trait.data import load_domain
from fama_dspy.results.decisions import evaluate_decisions, summarize_decisions


def points(domain, task_ids, **view):
    return get_benchmark("tau-trait").decision_points(domain, task_ids=task_ids, **view)


def test_one_point_per_gold_action_with_the_real_results_before_it():
    task = load_domain("telehealth").task("test-1")
    found = points("telehealth", ["test-1"])
    assert [p.id for p in found] == [f"tau-trait/telehealth/test-1/{i}" for i in range(4)]
    assert [p.gold.tool_name for p in found] == [a.name for a in task.actions]
    assert all(p.domain == "telehealth" and p.task_id == "test-1" and not p.solo for p in found)
    first, last = found[0].state, found[-1].state
    assert [m.role for m in first.messages] == ["user"]
    assert first.messages[0].content.startswith("I am David Martinez, email david.martinez@email.com.")
    assert first.policy == load_domain("telehealth").policy and len(first.tools) == 23
    # Before the write: the three lookups with their real results, then the confirmation exchange.
    roles = [m.role for m in last.messages]
    assert roles == ["user"] + ["assistant", "tool"] * 3 + ["assistant", "user"]
    assert last.messages[2].content == "david_martinez_5678"
    assert [m.content for m in last.messages[-2:]] == [CONFIRM_QUESTION, CONFIRM_ANSWER]
    assert (found[-1].writes, found[0].writes) == (True, False)
    assert found[0].derivable  # the email is in the request; the date is written out there ("Monday, …")
    assert found[-1].underivable == ["date=2025-09-22", "appointment_type=sick_visit"]


def test_confirmation_can_be_left_out_and_calls_no_agent_can_make_are_skipped():
    plain = points("telehealth", ["test-1"], confirm_writes=False)
    assert [m.role for m in plain[-1].state.messages][-2:] == ["assistant", "tool"]
    telecom = points(
        "telecom", ["dev-3"]
    )  # get_customer_details, add_device, manage_devices (retired), manage_service
    assert [(p.index, p.gold.tool_name) for p in telecom] == [
        (0, "get_customer_details"),
        (1, "add_device"),
        (3, "manage_service"),
    ]
    assert all("manage_devices" not in str(m.tool_calls) for m in telecom[-1].state.messages)


def test_points_of_a_split_are_scored_by_the_neutral_evaluator(tmp_path):
    split = get_benchmark("tau-trait").decision_points("telecom", "test", num_tasks=2)
    assert split and {p.task_id for p in split} == {"test-9", "test-10"}

    def gold_agent(state):
        point = next(p for p in split if p.state == state)
        return point.gold

    records = evaluate_decisions(gold_agent, split, tmp_path, config_name="gold")
    summary = summarize_decisions(records)
    assert summary["n"] == len(split) and summary["exact_correct"] == len(split)

    def asks(state):
        return AgentAction(kind="message", message="Could you tell me more?")

    summary = summarize_decisions(evaluate_decisions(asks, split, tmp_path, config_name="asks"))
    assert summary["name_correct"] == 0 and summary["messages_for_calls"] == len(split)

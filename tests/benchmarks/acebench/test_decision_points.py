"""Decision points: one per gold call, with the earlier gold calls and their real results."""

from __future__ import annotations

import pytest

from fama_dspy.benchmarks import get_benchmark
from fama_dspy.benchmarks.acebench.data import all_tasks
from fama_dspy.benchmarks.acebench.decision_points import CONFIRM_ANSWER, CONFIRM_QUESTION
from fama_dspy.benchmarks.acebench.gold import gold_calls
from fama_dspy.results.decisions import evaluate_decisions, summarize_decisions

pytestmark = pytest.mark.usefixtures("acebench_root")


@pytest.mark.parametrize("domain", ["multi-step", "multi-turn"])
def test_one_point_per_gold_call_with_stable_ids(domain):
    points = get_benchmark("acebench").decision_points(domain)
    stop = 1 if domain == "multi-step" else 0  # solo tasks end with a decision to call `done`
    expected = [(t.id, i) for t in all_tasks(domain) for i in range(len(gold_calls(t)) + stop)]
    assert [(p.task_id, p.index) for p in points] == expected
    assert all(p.id == f"{domain}/{p.task_id}/{p.index}" and p.domain == domain for p in points)
    assert len({p.id for p in points}) == len(points)
    assert len(points) == {"multi-step": 113 + 20, "multi-turn": 129}[domain]


def test_a_solo_task_ends_with_the_decision_to_stop_after_every_gold_call():
    points = get_benchmark("acebench").decision_points("multi-step", task_ids=["agent_multi_step_5"])
    stop, last_call = points[-1], points[-2]
    assert stop.gold.tool_name == "done" and stop.gold.arguments == {}
    assert not stop.writes and stop.derivable
    # the whole gold path and its results are behind it: the state of a finished task
    assert len(stop.state.messages) == len(last_call.state.messages) + 2
    assert stop.state.messages[-2].tool_calls[0].name == last_call.gold.tool_name


def test_multi_step_states_hold_the_ticket_and_earlier_results():
    points = get_benchmark("acebench").decision_points("multi-step", task_ids=["agent_multi_step_5"])
    first, last = points[0], points[-2]
    assert first.solo and first.state.ticket.startswith("I am Eve") and first.state.messages == []
    assert first.state.tools[-1].name == "done"
    assert len(last.state.messages) == 2 * last.index
    assert [m.role for m in last.state.messages[:2]] == ["assistant", "tool"]
    assert "message_id" in last.state.messages[1].content  # the real result of get_latest_message_id
    assert last.gold.tool_name == "send_message" and last.writes and last.derivable


def test_multi_turn_states_start_with_the_request_in_the_first_person():
    bench = get_benchmark("acebench")
    (first, *_), travel = (
        bench.decision_points("multi-turn", task_ids=["agent_multi_turn_0"]),
        bench.decision_points("multi-turn", task_ids=["agent_multi_turn_20"]),
    )
    assert not first.solo and first.state.ticket is None
    assert first.state.messages[0].role == "user" and first.state.messages[0].content.startswith(
        "My name is Grace"
    )
    booking = next(p for p in travel if p.gold.tool_name == "reserve_flight")
    assert [m.content for m in booking.state.messages[-2:]] == [CONFIRM_QUESTION, CONFIRM_ANSWER]
    plain = bench.decision_points("multi-turn", task_ids=["agent_multi_turn_20"], confirm_writes=False)
    assert CONFIRM_QUESTION not in [m.content for p in plain for m in p.state.messages]


def test_an_agent_answering_the_gold_call_is_scored_exact(tmp_path):
    points = get_benchmark("acebench").decision_points("multi-step", "train", num_tasks=3)

    class Oracle:
        def __call__(self, state):
            point = next(p for p in points if p.state == state)
            return point.gold

    records = evaluate_decisions(Oracle(), points, tmp_path, config_name="oracle")
    summary = summarize_decisions(records)
    assert summary["n"] == len(points) and summary["exact_accuracy"] == 1.0 and summary["valid_rate"] == 1.0

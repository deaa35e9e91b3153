import json
import re

import pytest
from fama_dspy.signatures.action import AgentAction

from benchmarks.tau2.harness_helpers import Decision
from fama_dspy.benchmarks.tau2.decision_points import CONFIRM_ANSWER, iter_decision_points
from fama_dspy.benchmarks.tau2.tasks import load_tasks
from fama_dspy.errors import ConfigError
from fama_dspy.results.decisions import (
    DECISIONS_FILE,
    decision_table,
    evaluate_decisions,
    load_decision_results,
    score_action,
    summarize_decisions,
    task_groups,
)
from fama_dspy.results.records import read_jsonl

AIRLINE_TASK = "2"  # look-ups, then a write (send_certificate)


@pytest.fixture(scope="module")
def airline_points():
    return iter_decision_points("airline", task_ids=[AIRLINE_TASK])


def test_one_point_per_gold_agent_action_with_stable_ids(airline_points):
    task = load_tasks("airline", task_ids=[AIRLINE_TASK])[0]
    gold = task.evaluation_criteria.actions
    assert len(airline_points) == len(gold) > 1
    assert [p.id for p in airline_points] == [f"airline/{AIRLINE_TASK}/{i}" for i in range(len(gold))]
    assert [p.gold.tool_name for p in airline_points] == [a.name for a in gold]
    json.loads(airline_points[0].model_dump_json())  # JSON-serialisable


def test_state_holds_request_then_gold_calls_with_real_outputs(airline_points):
    first, second = airline_points[0], airline_points[1]
    assert first.state.ticket is None and first.state.policy
    assert [m.role for m in first.state.messages] == ["user"]
    assert first.gold.arguments["user_id"] in first.state.messages[0].content
    # The request is the user's own words, not τ²'s instructions to its simulator ("You are …").
    request = first.state.messages[0].content
    assert re.search(r"\bI\b|\bmy\b", request, flags=re.IGNORECASE)
    assert not re.search(r"\byou(r)?\b", request, flags=re.IGNORECASE)
    assert any(t.name == "cancel_reservation" for t in first.state.tools)
    call, result = second.state.messages[1], second.state.messages[2]
    assert (
        call.tool_calls[0].name == first.gold.tool_name
        and call.tool_calls[0].arguments == first.gold.arguments
    )
    assert result.role == "tool" and not result.error and json.loads(result.content)  # the real tool output
    # A write action is preceded by the generic confirmation exchange.
    write = next(p for p in airline_points if p.writes)
    assert write.state.messages[-1].content == CONFIRM_ANSWER and write.state.messages[-2].role == "assistant"
    no_confirm = iter_decision_points("airline", task_ids=[AIRLINE_TASK], confirm_writes=False)
    assert all(m.content != CONFIRM_ANSWER for p in no_confirm for m in p.state.messages)


def test_solo_points_carry_the_ticket_and_device_calls():
    task_id = "[mobile_data_issue]airplane_mode_on|user_abroad_roaming_enabled_off[PERSONA:None]"
    points = iter_decision_points("telecom", task_ids=[task_id], solo=True)
    assert [p.gold.tool_name for p in points] == ["toggle_airplane_mode", "toggle_roaming"]
    assert all(p.state.ticket and p.solo for p in points)
    assert "done" in {t.name for t in points[0].state.tools}
    assert points[1].state.messages[-1].tool_name == "toggle_airplane_mode"


def test_scoring(airline_points):
    point = airline_points[0]
    gold = point.gold
    assert score_action(gold, point).exact_ok
    wrong_args = AgentAction(
        kind="tool_call", tool_name=gold.tool_name, arguments={k: "x" for k in gold.arguments}
    )
    s = score_action(wrong_args, point)
    assert s.name_ok and not s.exact_ok and s.mismatched_args
    assert not score_action(AgentAction(kind="tool_call", tool_name="calculate", arguments={}), point).name_ok
    assert not score_action(AgentAction(kind="message", message="hi"), point).name_ok


def test_derivable_flag(airline_points):
    assert airline_points[0].derivable  # the user id is in the request
    # Mock create_task_1: every value is in the user's request; a fabricated value is not.
    [point] = iter_decision_points("mock", task_ids=["create_task_1"])
    assert point.derivable and point.underivable == []
    point.gold.arguments["title"] = "Something Else"
    from fama_dspy.results.decisions import visible_text
    from fama_dspy.results.matching import underivable_values

    schema = point.state.tool("create_task").parameters
    assert underivable_values(point.gold.arguments, schema, visible_text(point.state)) == [
        "title=Something Else"
    ]


def test_evaluate_decisions_resume_and_summary(airline_points, tmp_path):
    gold_by_state = {id(p.state): p.gold for p in airline_points}
    calls = {"n": 0}

    def half_right_agent(state):
        calls["n"] += 1
        gold = gold_by_state[id(state)]
        if calls["n"] % 2:
            return Decision(gold, {"lm_calls": 1, "usage": {"prompt_tokens": 50, "completion_tokens": 5}})
        return Decision(AgentAction(kind="tool_call", tool_name=gold.tool_name, arguments={}))

    records = evaluate_decisions(half_right_agent, airline_points, tmp_path, config_name="half")
    n = len(airline_points)
    assert calls["n"] == n and len(records) == n
    assert [r["point_id"] for r in records] == [p.id for p in airline_points]
    again = evaluate_decisions(half_right_agent, airline_points, tmp_path, config_name="half")
    assert calls["n"] == n and again == records
    assert len(read_jsonl(tmp_path / DECISIONS_FILE)) == n
    s = summarize_decisions(load_decision_results(tmp_path, "half"))
    assert s["n"] == n and s["name_correct"] == n and s["exact_correct"] == (n + 1) // 2
    assert s["derivable"]["n"] == sum(p.derivable for p in airline_points)
    assert s["enough_points"] is False and s["valid_rate"] < 1.0
    decision_table({"half": s})


def test_agent_errors_are_recorded_not_raised(airline_points, tmp_path):
    def broken(state):
        raise ValueError("cannot parse")

    records = evaluate_decisions(broken, airline_points[:2], tmp_path, config_name="broken", concurrency=2)
    assert all(r["error"] == "ValueError: cannot parse" and not r["name_ok"] for r in records)
    with pytest.raises(ConnectionRefusedError):
        evaluate_decisions(
            lambda state: (_ for _ in ()).throw(ConnectionRefusedError()),
            airline_points[:1],
            tmp_path,
            config_name="dead",
        )


def test_concurrent_workers_answer_each_task_in_gold_order_on_one_thread(tmp_path):
    import threading

    points = iter_decision_points("airline", task_ids=["2", "4", "9"])
    answered: list[tuple[str, int, int]] = []

    def agent(state):
        point = next(p for p in points if p.state == state)
        answered.append((point.task_id, point.index, threading.get_ident()))
        return Decision(AgentAction(kind="message", message="hi"))

    evaluate_decisions(agent, list(reversed(points)), tmp_path, config_name="c", concurrency=3)
    assert len(answered) == len(points)
    for task_id in ("2", "4", "9"):
        mine = [(index, thread) for t, index, thread in answered if t == task_id]
        assert [index for index, _ in mine] == sorted(index for index, _ in mine)
        assert len({thread for _, thread in mine}) == 1
    # Trial-major, then tasks in first-seen order: trial 1 starts after every trial-0 task.
    groups = task_groups([(t, p) for t in (0, 1) for p in points])
    assert [g[0][0] for g in groups] == [0, 0, 0, 1, 1, 1]


def test_records_of_an_older_view_are_not_resumed_into(airline_points, tmp_path):
    old = {"version": 1, "config": "react", "point_id": airline_points[0].id}
    (tmp_path / DECISIONS_FILE).write_text(json.dumps(old) + "\n")
    with pytest.raises(ConfigError, match="new --out"):
        evaluate_decisions(lambda state: None, airline_points[:1], tmp_path, config_name="react")


def test_trials_ask_each_point_once_per_seed_on_that_seeds_lm(airline_points, tmp_path):
    import dspy

    points = airline_points[:2]
    seen: list[tuple[str, object]] = []

    def agent(state):
        seen.append((state.messages[-1].content, dspy.settings.lm))
        return Decision(AgentAction(kind="message", message="hi"))

    def lm_for_seed(seed):
        return f"lm-{seed}"

    records = evaluate_decisions(
        agent, points, tmp_path, config_name="k", seeds=[7, 8], lm_for_seed=lm_for_seed, concurrency=2
    )
    assert [(r["point_id"], r["trial"], r["seed"]) for r in records] == [
        (p.id, t, s) for p in points for t, s in ((0, 7), (1, 8))
    ]
    assert sorted(str(lm) for _, lm in seen) == ["lm-7", "lm-7", "lm-8", "lm-8"]
    # Resume: a finished (point, trial) is never asked again; a third trial asks only for itself.
    again = evaluate_decisions(
        agent, points, tmp_path, config_name="k", seeds=[7, 8, 9], lm_for_seed=lm_for_seed
    )
    assert len(seen) == 6 and [str(lm) for _, lm in seen[4:]] == ["lm-9", "lm-9"]
    assert len(again) == 6 and len(read_jsonl(tmp_path / DECISIONS_FILE)) == 6
    s = summarize_decisions(again)
    assert s["n"] == 6 and s["points"] == 2 and s["trials"] == 3


def test_records_from_before_trials_count_as_trial_zero(airline_points, tmp_path):
    first = evaluate_decisions(lambda state: None, airline_points[:1], tmp_path, config_name="old")
    lines = [json.loads(line) for line in (tmp_path / DECISIONS_FILE).read_text().splitlines()]
    for line in lines:
        del line["trial"], line["seed"]
    (tmp_path / DECISIONS_FILE).write_text("".join(json.dumps(line) + "\n" for line in lines))
    calls = []
    evaluate_decisions(lambda state: calls.append(1), airline_points[:1], tmp_path, config_name="old")
    assert calls == [] and len(first) == 1

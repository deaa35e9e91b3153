"""The gold replay scores 1.0 end-to-end and process on every task, through the benchmark interface."""

from __future__ import annotations

import pytest

from benchmarks.acebench.helpers import run
from fama_dspy.benchmarks.acebench.data import CHECKOUT, all_tasks
from fama_dspy.benchmarks.acebench.gold import ERRATA, gold_calls, gold_plan
from fama_dspy.benchmarks.acebench.sandbox import make_sandbox
from fama_dspy.benchmarks.acebench.scoring import end_to_end, final_state
from fama_dspy.conversation import ToolCall

pytestmark = pytest.mark.usefixtures("acebench_root")


@pytest.mark.parametrize("domain, count", [("multi-step", 20), ("multi-turn", 30)])
def test_gold_replay_scores_one_on_every_task(domain, count, tmp_path):
    records = run(tmp_path, domain, None, config="gold")
    assert len(records) == count
    bad = [
        (r["task_id"], r["reward"], r["reward_breakdown"], r["error"], r["totals"]["invalid_actions"])
        for r in records
        if r["reward"] != 1.0
        or r["reward_breakdown"]["process"] != 1.0
        or r["error"]
        or r["totals"]["invalid_actions"]
        or r["totals"]["tool_errors"]
    ]
    assert not bad
    assert {r["termination"] for r in records} == {"agent_stop" if domain == "multi-step" else "user_stop"}
    assert all(r["agent"] == "gold" and r["benchmark"] == "acebench" for r in records)


def _replay_reaches_ground_truth(task, errata: bool) -> bool:
    box = make_sandbox(CHECKOUT.path(), task.domain, task.involved_classes, task.initial_config)
    for call in gold_calls(task, errata=errata):
        box.execute(ToolCall(name=call.name, arguments=call.arguments))
    return end_to_end(final_state(box.instances), task.ground_truth).valid


def test_every_erratum_is_needed_and_sufficient():
    tasks = all_tasks("multi-step") + all_tasks("multi-turn")
    failing_as_published = {t.id for t in tasks if not _replay_reaches_ground_truth(t, errata=False)}
    assert failing_as_published == set(ERRATA)
    assert all(_replay_reaches_ground_truth(t, errata=True) for t in tasks)


def test_the_plan_ends_as_each_mode_expects():
    step, turn = all_tasks("multi-step")[0], all_tasks("multi-turn")[0]
    assert gold_plan(step)[-1].tool_name == "done"
    assert gold_plan(turn)[-1].message == "finish conversation"
    # A milestone of two calls becomes two consecutive gold calls.
    parallel = next(t for t in all_tasks("multi-turn") if t.id == "agent_multi_turn_22")
    assert len(gold_calls(parallel)) == len(parallel.milestones[0]) + 2  # two milestones of two calls

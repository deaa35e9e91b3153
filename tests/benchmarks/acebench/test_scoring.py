"""Our ACEBench scores equal ACEBench's own evaluation (imported from the checkout, in this test only).

Episodes of scripted agents (the gold path, with a milestone skipped, a wrong argument, an early
stop, no call at all) are run through the benchmark; ACEBench's ``agent_eval`` then scores each
record's result and process, and must agree with the record's reward and process accuracy.
Calls and milestones reach ACEBench's function in one canonical text form (sorted arguments),
since ours compares calls as data (``calls.py``); the algorithm and the state check are ACEBench's.
"""

from __future__ import annotations

import importlib
import sys
import types

import pytest
from fama_dspy.signatures.action import AgentAction

from benchmarks.acebench.helpers import edited_gold, run
from fama_dspy.benchmarks.acebench.calls import parse_calls, render_call
from fama_dspy.benchmarks.acebench.data import find_task
from fama_dspy.benchmarks.acebench.scoring import (
    check_class,
    end_to_end,
    ordered_matches,
    process_accuracy,
    run_accuracy,
)
from fama_dspy.benchmarks.acebench.tools import STOP_TOOL

ACEBENCH_MODULES = ("eval_main", "category")
ACEBENCH_PACKAGES = ("model_eval", "model_inference")


@pytest.fixture
def acebench_eval(acebench_root, tmp_path, monkeypatch):
    """ACEBench's ``eval_main`` module, imported from the checkout and forgotten afterwards."""
    monkeypatch.setattr(sys, "path", [str(acebench_root), *sys.path])  # eval_main appends to it
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # no __pycache__ in the user's checkout
    try:
        importlib.import_module("openpyxl")
    except ImportError:  # only its Excel export needs it
        monkeypatch.setitem(sys.modules, "openpyxl", types.SimpleNamespace(Workbook=object))
        monkeypatch.setitem(sys.modules, "openpyxl.styles", types.SimpleNamespace(Alignment=object))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "score_all" / "score_en" / "parity").mkdir(parents=True)
    try:
        module = importlib.import_module("eval_main")
        module.language = "en"  # set by its __main__ block
        module.OUTPUT_PATH = str(tmp_path / "scores")
        yield module
    finally:
        # ACEBench's own modules only: third-party ones it imported (numpy) cannot be loaded twice.
        for name in [m for m in sys.modules if m in ACEBENCH_MODULES or m.startswith(ACEBENCH_PACKAGES)]:
            sys.modules.pop(name, None)


def canonical(text: str) -> str:
    try:
        calls = parse_calls(text)
    except ValueError:
        return text
    return "[" + ", ".join(render_call(c.name, dict(sorted(c.arguments.items())))[1:-1] for c in calls) + "]"


def acebench_scores(eval_main, records: list[dict]) -> tuple[float, float]:
    """ACEBench's (end-to-end, process) accuracy of records, from what each record kept."""
    results, prompts, answers = [], [], []
    for record in records:
        task = find_task(record["domain"], record["task_id"])
        details = record["reward_details"]
        results.append(
            {
                "id": task.id,
                "result": details["result"],
                "process": [canonical(p) for p in details["process"]],
            }
        )
        prompts.append({"id": task.id})
        lists = [[canonical(m) for m in alternative] for alternative in task.milestones]
        answers.append(
            {
                "id": task.id,
                "ground_truth": task.ground_truth,
                "mile_stone": lists[0] if len(lists) == 1 else lists,
            }
        )
    return eval_main.agent_eval(results, prompts, answers, "agent_multi_step", "parity")


def _drop_last_call(plan):
    return plan[:-2] + plan[-1:]


def _stop_after_first(plan):
    return plan[:1] + plan[-1:]


def _no_call(plan):
    return plan[-1:]


def _reword(name: str, key: str, value):
    def edit(plan):
        return [
            AgentAction(kind="tool_call", tool_name=a.tool_name, arguments={**a.arguments, key: value})
            if a.kind == "tool_call" and a.tool_name == name
            else a
            for a in plan
        ]

    return edit


SCRIPTS = {
    "gold": (None, ["agent_multi_step_0", "agent_multi_step_2", "agent_multi_step_5", "agent_multi_step_6"]),
    "skip": (_drop_last_call, ["agent_multi_step_5", "agent_multi_step_7", "agent_multi_step_14"]),
    "wrong": (_reword("send_message", "message", "Hello"), ["agent_multi_step_5", "agent_multi_step_18"]),
    "early": (_stop_after_first, ["agent_multi_step_3", "agent_multi_step_12", "agent_multi_step_8"]),
    "none": (_no_call, ["agent_multi_step_4"]),
    # ACEBench names the class ReminderAPI in this ground truth, so a wrong reminder still passes.
    "reminder": (_reword("add_reminder", "title", "Other"), ["agent_multi_step_0"]),
}


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_episode_scores_equal_acebenchs_evaluation(script, acebench_eval, tmp_path):
    edit, task_ids = SCRIPTS[script]
    records = run(tmp_path / script, "multi-step", task_ids, builder=edited_gold(edit) if edit else None)
    assert len(records) == len(task_ids)
    for record in records:
        end, process = acebench_scores(acebench_eval, [record])
        assert (record["reward"], round(record["reward_breakdown"]["process"], 3)) == (end, process), record[
            "task_id"
        ]
    ours = (
        run_accuracy([r["reward"] for r in records]),
        run_accuracy([r["reward_breakdown"]["process"] for r in records]),
    )
    assert ours == acebench_scores(acebench_eval, records)


def test_outcomes_are_the_non_trivial_ones_intended(tmp_path, acebench_root):
    def one(edit, task_id):
        (record,) = run(
            tmp_path / task_id / str(id(edit)), "multi-step", [task_id], builder=edited_gold(edit)
        )
        return record

    skipped = one(_drop_last_call, "agent_multi_step_5")
    assert skipped["reward"] == 0.0 and skipped["reward_breakdown"]["process"] == pytest.approx(2 / 3)
    wrong = one(_reword("send_message", "message", "Hello"), "agent_multi_step_18")
    assert wrong["reward"] == 0.0 and any("inbox" in e for e in wrong["reward_details"]["state_errors"])
    nothing = one(_no_call, "agent_multi_step_4")
    assert nothing["reward_details"]["error_type"] == "wrong number of class"
    assert nothing["reward_details"]["result"] == [] and nothing["reward_breakdown"]["process"] == 0.0
    quirk = one(_reword("add_reminder", "title", "Other"), "agent_multi_step_0")
    assert quirk["reward"] == 1.0


def test_multi_turn_scores_equal_acebenchs_evaluation(acebench_eval, tmp_path):
    records = run(
        tmp_path / "early",
        "multi-turn",
        ["agent_multi_turn_20", "agent_multi_turn_2"],
        builder=edited_gold(_stop_after_first),
    )
    records += run(tmp_path / "gold", "multi-turn", ["agent_multi_turn_23"])
    assert [r["reward"] for r in records] == [0.0, 0.0, 1.0]
    for record in records:
        end, process = acebench_scores(acebench_eval, [record])
        assert (record["reward"], round(record["reward_breakdown"]["process"], 3)) == (end, process)


def test_class_check_matches_acebenchs_agent_checker(acebench_eval):
    cases = [
        ({"C": {"a": 1, "b": {"1": "x", "2": "y"}}}, {"C": {"a": 1, "b": {"1": "x"}}}),  # extra key passes
        ({"C": {"a": 2}}, {"C": {"a": 1}}),
        ({"C": {"a": 1, "z": 0}}, {"C": {"a": 1}}),  # saved attribute missing in the answer
        ({"C": {"b": {"1": "x"}}}, {"C": {"b": {"1": "x", "2": "y"}}}),  # expected key missing
        ({"C": {"b": {"1": "q"}}}, {"C": {"b": {"1": "x"}}}),
    ]
    for output, answer in cases:
        theirs = acebench_eval.agent_checker(output, answer)
        ours = check_class(output, answer)
        assert (ours.valid, ours.errors) == (theirs["valid"], theirs["error"])


def test_unmatched_class_inherits_the_previous_verdict():
    result = [{"A": {"x": 1}}, {"B": {"y": 1}}]
    assert end_to_end(result, [{"A": {"x": 1}}, {"Bee": {"y": 2}}]).valid
    assert not end_to_end(result, [{"A": {"x": 2}}, {"Bee": {"y": 1}}]).valid
    assert end_to_end(result, [{"A": {"x": 1}}]).error_type == "wrong number of class"


def test_ordered_matching_never_goes_back_and_takes_the_best_alternative():
    assert ordered_matches(["b", "a", "b"], [("a",), ("b",)]) == [0, 1]
    assert ordered_matches(["b", "a"], [("a",), ("b",)]) == [0]
    assert ordered_matches(["x", "a", "b", "c"], [("a", "b"), ("c",)]) == [0, 1]  # a two-call milestone
    score = process_accuracy(["[f(a=1)]", "[g()]"], [["[f(a=1)]", "[h()]", "[g()]"], ["[g()]"]], False)
    assert (score.accuracy, score.alternative) == (1.0, 1)
    single = process_accuracy(["[f(a=1)]"], [["[f(a=1)]", "[h()]", "[g()]"]], False)
    assert single.accuracy == pytest.approx(1 / 3)  # ACEBench does not round a single list's share
    assert process_accuracy([], [["[f()]"]], True).accuracy == 1.0
    assert process_accuracy([], [[]], False).accuracy == 1.0


def test_stop_tool_is_not_a_process_step(tmp_path, acebench_root):
    (record,) = run(tmp_path, "multi-step", ["agent_multi_step_3"])
    assert STOP_TOOL not in " ".join(record["reward_details"]["process"])
    task = find_task("multi-step", "agent_multi_step_3")
    assert [canonical(p) for p in record["reward_details"]["process"]] == [
        canonical(m) for m in task.milestones[0]
    ]

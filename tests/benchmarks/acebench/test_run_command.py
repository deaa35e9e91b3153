"""`fama run --benchmark acebench`: episodes and decision points with a react agent on the scripted LM."""

from __future__ import annotations

import argparse

import pytest
from scripted_lm import action_reply, scripted_lm

from fama_dspy.benchmarks.acebench.data import find_task
from fama_dspy.benchmarks.acebench.gold import gold_plan
from fama_dspy.commands import run
from fama_dspy.results.records import read_jsonl

pytestmark = pytest.mark.usefixtures("acebench_root")
TASK = "agent_multi_step_5"


def _args(out, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    run.add_parser(parser.add_subparsers())
    return parser.parse_args(
        [
            "run",
            "--benchmark",
            "acebench",
            "--domain",
            "multi-step",
            "--split",
            "test",
            "--task-ids",
            TASK,
            "--agent",
            "react",
            "--concurrency",
            "1",
            "--out",
            str(out),
            *extra,
        ]
    )


def test_episodes_of_a_react_agent(tmp_path, monkeypatch):
    answers = [
        action_reply(kind="tool_call", tool_name=a.tool_name, arguments=a.arguments)
        for a in gold_plan(find_task("multi-step", TASK))
    ]
    lm, engine = scripted_lm({"agent": answers})
    monkeypatch.setattr(run, "make_lm_from_args", lambda args: lm)
    assert run.run_command(_args(tmp_path)) == 0
    (record,) = read_jsonl(tmp_path / "episodes.jsonl")
    assert (record["benchmark"], record["config"], record["split"], record["solo"]) == (
        "acebench",
        "react",
        "test",
        True,
    )
    assert record["reward"] == 1.0 and record["termination"] == "agent_stop"
    assert len(engine.of("agent")) == len(answers)


def test_decision_points_of_a_react_agent(tmp_path, monkeypatch):
    first = gold_plan(find_task("multi-step", TASK))[0]
    lm, _ = scripted_lm({"agent": [action_reply(kind="tool_call", tool_name=first.tool_name, arguments={})]})
    monkeypatch.setattr(run, "make_lm_from_args", lambda args: lm)
    assert run.run_command(_args(tmp_path, "--mode", "decisions")) == 0
    records = read_jsonl(tmp_path / "decisions.jsonl")
    # three gold calls, then the decision to stop
    assert [r["point_id"] for r in records] == [f"multi-step/{TASK}/{i}" for i in range(4)]
    assert [r["name_ok"] for r in records] == [True, False, False, False]

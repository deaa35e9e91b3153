"""LLM-free failure evidence from ACEBench records, and analyze_run on it with a stub judge."""

from __future__ import annotations

import pytest
from fama_dspy.signatures.action import AgentAction

from benchmarks.acebench.helpers import edited_gold, run
from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.runs import DIAGNOSES_FILE
from fama_dspy.benchmarks import get_benchmark
from fama_dspy.benchmarks.acebench.evidence import evidence_from_record, failed_records, state_differences
from fama_dspy.results.records import read_jsonl

pytestmark = pytest.mark.usefixtures("acebench_root")


def _wrong_message(plan):
    return [
        AgentAction(kind="tool_call", tool_name=a.tool_name, arguments={**a.arguments, "message": "Hi"})
        if a.tool_name == "send_message"
        else a
        for a in plan
    ]


def _skip_delete(plan):
    return [a for a in plan if a.tool_name != "delete_message"]


def test_wrong_arguments_and_state_differences_are_named(tmp_path):
    (record,) = run(tmp_path, "multi-step", ["agent_multi_step_19"], builder=edited_gold(_wrong_message))
    evidence = evidence_from_record(record)
    assert evidence.reward == 0.0 and evidence.db_mismatch is True and not evidence.missed_actions
    assert evidence.solo  # multi-step episodes have no user: the detector must not blame one
    (wrong,) = evidence.wrong_argument_actions
    assert wrong.startswith("send_message: message expected") and '"Hi"' in wrong
    assert any(d.startswith("MessageApi.inbox.") and '"Hi"' in d for d in evidence.state_differences)
    text = evidence.render()
    assert "gold actions called with wrong arguments" in text and "final state differs" in text
    assert evidence.reward_breakdown["process"] < 1.0


def test_missed_calls_and_their_consequences(tmp_path):
    (record,) = run(tmp_path, "multi-step", ["agent_multi_step_5"], builder=edited_gold(_skip_delete))
    evidence = evidence_from_record(record)
    assert evidence.missed_actions == ['delete_message({"message_id": 4})']
    # The refused send is a result the sandbox returned (status False), not an execution error.
    assert evidence.tool_errors == [] and "Inbox capacity is full" in evidence.condensed_trajectory
    assert [d.split(" ")[0] for d in evidence.state_differences] == ["MessageApi.inbox.7"]


def test_no_call_means_no_recorded_state():
    assert state_differences([], [{"BaseApi": {}}]) == [
        "no call reached the sandbox, so ACEBench recorded no final state"
    ]


def test_successes_have_no_state_differences(tmp_path):
    (record,) = run(tmp_path, "multi-step", ["agent_multi_step_2"])
    evidence = evidence_from_record(record)
    assert evidence.db_mismatch is False and evidence.state_differences == [] and not evidence.missed_actions


def test_analyze_run_diagnoses_each_failure_once(tmp_path):
    run(
        tmp_path,
        "multi-step",
        ["agent_multi_step_19", "agent_multi_step_2"],
        builder=edited_gold(_wrong_message),
    )
    seen = []

    def judge(evidence, policy=""):
        seen.append((evidence.task_id, policy))
        return FailureDiagnosis(
            task_id=evidence.task_id, trial=evidence.trial, domain=evidence.domain, primary=["CM"]
        )

    failed = failed_records(tmp_path).failed
    bench = get_benchmark("acebench")
    diagnoses, profile = bench.analyze_run(tmp_path, None, "stub-judge", model="m", analyzer=judge)
    assert [d.task_id for d in diagnoses] == [r["task_id"] for r in failed] and len(seen) == len(failed)
    assert all("done" in policy for _, policy in seen)
    assert profile.domain == "multi-step" and len(read_jsonl(tmp_path / DIAGNOSES_FILE)) == len(failed)
    bench.analyze_run(tmp_path, None, "stub-judge", model="m", analyzer=judge)
    assert len(seen) == len(failed)  # resumed: nothing judged twice

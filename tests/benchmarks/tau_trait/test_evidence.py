"""LLM-free failure evidence of τ-trait episodes, and the Stage 1 analysis over a run."""

from __future__ import annotations

import dspy
import pytest
from scripted_lm import action_reply

from benchmarks.tau_trait.helpers import call, run_scripted, say
from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.runs import DIAGNOSES_FILE
from fama_dspy.benchmarks import get_benchmark
from fama_dspy.benchmarks.tau_trait.data import load_domain
from fama_dspy.benchmarks.tau_trait.evidence import evidence_from_record, failed_records, state_differences
from fama_dspy.errors import ConfigError
from fama_dspy.results.records import read_jsonl


def gold_calls(domain, task_id):
    return [call(a.name, **a.kwargs) for a in load_domain(domain).task(task_id).actions]


def test_a_wrong_write_is_named_with_the_record_and_field(tmp_path):
    wrong = [
        call(a.tool_name, **{**a.arguments, "time": "14:00"}) for a in gold_calls("telehealth", "test-0")
    ]
    record = run_scripted("telehealth", "test-0", [*wrong, say("Booked.")], tmp_path, "wrong")
    evidence = evidence_from_record(record)
    assert evidence.db_mismatch is True and evidence.reward == 0.0
    assert evidence.wrong_argument_actions == ['schedule_appointment: time expected "10:00", got "14:00"']
    assert not evidence.missed_actions
    new_id = next(line.split()[0] for line in evidence.state_differences if "time" in line)
    assert new_id.startswith("appointments/APPT") and new_id.endswith(".time")
    assert any(line.endswith('.time expected "10:00", got "14:00"') for line in evidence.state_differences)
    assert "where the final state differs" in evidence.render()


def test_missing_writes_and_outputs_and_tool_errors(tmp_path):
    record = run_scripted(
        "telecom",
        "test-16",
        [
            call("find_customer_by_phone", phone="(555) 234-5678"),
            call("get_customer_details", customer_id="x"),
            say("Hi."),
        ],
        tmp_path,
        "lazy",
    )
    evidence = evidence_from_record(record)
    assert [m.split("(")[0] for m in evidence.missed_actions] == [
        "get_billing_details",
        "record_payment",
        "get_billing_details",
    ]
    assert evidence.missing_information == ["lisa_chen_3456", "0.00"]
    assert evidence.tool_errors == ["get_customer_details: Error: Customer not found: x"]
    assert any(
        line.startswith("billing/lisa_chen_3456.current_balance expected 0.0")
        for line in evidence.state_differences
    )
    assert evidence.termination_reason == "user_stop" and evidence.user_in_role


def test_state_differences_name_created_and_missing_records():
    expected = {"tickets": {"T1": {"status": "open"}}, "log": [1, 2]}
    episode = {"tickets": {"T2": {"status": "open"}}, "log": [1, 3]}
    assert state_differences(episode, expected) == [
        "tickets/T1 expected a record, got none (never created)",
        "tickets/T2 expected no such record, got one (the agent created it)",
        "log[1] expected 2, got 3",
    ]


class StubAnalyzer:
    """Stands in for the judges: every failure is an agent error of one category."""

    def __init__(self):
        self.seen = []

    def __call__(self, evidence, policy=""):
        self.seen.append((evidence, policy))
        return FailureDiagnosis(
            task_id=evidence.task_id,
            trial=evidence.trial,
            domain=evidence.domain,
            primary=["IFU"],
            judge_model="stub",
        )


def test_analyze_run_diagnoses_each_failure_once_and_builds_a_profile(tmp_path):
    run = tmp_path / "run"
    bench = get_benchmark("tau-trait")
    for task_id in ("test-0", "test-12", "train-0"):  # test-12 is held out (split "test")
        run_scripted("telehealth", task_id, [say("Sorry, I cannot help.")], run, "sorry")
    assert [r["task_id"] for r in failed_records(run).failed] == ["test-0", "test-12"]
    analyzer = StubAnalyzer()
    diagnoses, profile = bench.analyze_run(run, None, "stub", model="m", analyzer=analyzer)
    assert [d.task_id for d in diagnoses] == ["test-0", "test-12"] and len(analyzer.seen) == 2
    assert analyzer.seen[0][1] == load_domain("telehealth").policy
    assert profile.domain == "telehealth" and any("persona traits" in n for n in profile.notes)
    rows = read_jsonl(run / DIAGNOSES_FILE)
    assert [r["benchmark"] for r in rows] == ["tau-trait", "tau-trait"]
    bench.analyze_run(run, None, "stub", model="m", analyzer=analyzer)
    assert len(analyzer.seen) == 2  # resumed: nothing diagnosed twice
    with pytest.raises(ConfigError, match="never one holding test tasks"):
        bench.analyze_run(run, None, "stub", model="m", analyzer=analyzer, rerun_budget=1)
    train_only = tmp_path / "train"
    run_scripted("telehealth", "test-0", [say("Sorry, I cannot help.")], train_only, "sorry")
    with pytest.raises(ConfigError, match="needs the agent's model"):
        bench.analyze_run(train_only, None, "stub", model="m", analyzer=analyzer, rerun_budget=1)


def test_the_learning_step_reruns_failures_with_one_specialist(scripted, tmp_path):
    """Re-runs in the run's own mode (the scripted customer here) with FAMA on one specialist."""
    scripted({"agent": [action_reply(kind="message", message="Sorry, I cannot help.")]})
    run = tmp_path / "run"
    run_scripted("telehealth", "test-0", [say("Sorry, I cannot help.")], run, "react")
    _, profile = get_benchmark("tau-trait").analyze_run(
        run, None, "stub", model="m", analyzer=StubAnalyzer(), rerun_budget=1, agent_lm=dspy.settings.lm
    )
    reruns = read_jsonl(run / "reruns" / "episodes.jsonl")
    assert (
        len(reruns) == 1
        and reruns[0]["config"].startswith("rerun[react+")
        and reruns[0]["task_id"] == "test-0"
    )
    assert reruns[0]["user"] == "scripted" and reruns[0]["reward"] == 0.0
    assert any("Learning step: 1 re-run(s)" in n for n in profile.notes)

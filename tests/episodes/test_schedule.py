"""The shared episode scheduler: planning a resumable run, running jobs, failure semantics."""

from __future__ import annotations

import contextvars
import threading

import pytest

from fama_dspy.episodes.schedule import plan_episodes, records_in_plan_order, run_episode_jobs


def key(task: str, trial: int) -> tuple:
    return (task, trial)


def test_plan_is_trial_major_and_skips_recorded_episodes():
    existing = {("a", 0): {"reward": 1.0}, ("b", 1): {"reward": 0.0, "error": "boom"}}
    plan = plan_episodes(["a", "b"], [300, 301], key, existing)
    assert plan.wanted == [("a", 0, 300), ("b", 0, 300), ("a", 1, 301), ("b", 1, 301)]
    assert plan.jobs == [("b", 0, 300), ("a", 1, 301)]
    assert plan.already_done == 2
    retry = plan_episodes(["a", "b"], [300, 301], key, existing, retry_errors=True)
    assert ("b", 1, 301) in retry.jobs and ("a", 0, 300) not in retry.jobs


def test_records_come_back_in_plan_order_without_the_missing_ones():
    plan = plan_episodes(["a", "b"], [1, 2], key, {})
    done = {("b", 1): {"id": "b1"}, ("a", 0): {"id": "a0"}, ("zz", 0): {"id": "other run"}}
    assert [r["id"] for r in records_in_plan_order(plan, key, done)] == ["a0", "b1"]


@pytest.mark.parametrize("concurrency", [1, 3])
def test_every_job_runs_once_in_the_callers_context(concurrency):
    label = contextvars.ContextVar("label", default=None)
    label.set("caller")
    seen: list[tuple] = []
    lock = threading.Lock()

    def job(task, trial, seed):
        with lock:
            seen.append((task, trial, seed, label.get()))
        return {"reward": 1.0}

    jobs = [("a", 0, 1), ("b", 0, 1), ("c", 0, 1), ("a", 1, 2)]
    run_episode_jobs(jobs, job, concurrency=concurrency, label="x", progress=False)
    assert sorted(seen) == sorted((*j, "caller") for j in jobs)


def test_the_first_failure_stops_scheduling_and_is_raised_after_running_jobs_finish():
    started: list[str] = []
    gate = threading.Event()

    def job(task, trial, seed):
        started.append(task)
        if task == "bad":
            raise RuntimeError("server refused")
        gate.wait(2)  # the running job still finishes (and would save) after the failure
        return {"reward": 0.0}

    jobs = [("slow", 0, 1), ("bad", 0, 1), *[(f"later{i}", 0, 1) for i in range(20)]]

    def release_soon():
        threading.Timer(0.2, gate.set).start()

    release_soon()
    with pytest.raises(RuntimeError, match="server refused"):
        run_episode_jobs(jobs, job, concurrency=2, label="x", progress=False)
    assert "slow" in started and "bad" in started
    assert len(started) < len(jobs)  # the rest were cancelled, not run


def test_no_jobs_is_a_no_op():
    run_episode_jobs([], lambda *a: pytest.fail("ran"), concurrency=2, label="x", progress=False)

"""Shared run-analysis helpers: re-runs of failed points grouped and credited."""

from __future__ import annotations

from fama_dspy.analysis.runs import run_planned_reruns


def test_reruns_are_grouped_by_specialist_trial_and_settings_and_credited():
    originals = {
        ("t1", 0): {"domain": "d", "seed": 5, "user": "fama", "max_steps": 10},
        ("t2", 0): {"domain": "d", "seed": 5, "user": "fama", "max_steps": 10},
        ("t3", 0): {"domain": "d", "seed": 5, "user": "fama", "max_steps": 20},  # other settings
    }
    plan = [
        {"task_id": "t1", "trial": 0, "specialist": "MEM"},
        {"task_id": "t2", "trial": 0, "specialist": "MEM"},
        {"task_id": "t3", "trial": 0, "specialist": "MEM"},
        {"task_id": "t1", "trial": 0, "specialist": "VER"},
    ]
    calls = []

    def run_group(code, trial, original, task_ids):
        calls.append((code, trial, original["max_steps"], tuple(task_ids)))
        outcome = {
            "t1": {"task_id": "t1", "reward": 1.0, "error": None},
            "t2": {"task_id": "t2", "reward": 0.0, "error": None},
            "t3": {"task_id": "t3", "reward": 1.0, "error": "server refused"},
        }
        return [outcome[t] for t in task_ids if not (code == "VER" and t == "t1")]

    rows = run_planned_reruns(plan, originals, run_group)
    assert calls == [("MEM", 0, 10, ("t1", "t2")), ("MEM", 0, 20, ("t3",)), ("VER", 0, 10, ("t1",))]
    by = {(r["task_id"], r["specialist"]): r for r in rows}
    assert by[("t1", "MEM")]["fixed"] is True
    assert by[("t2", "MEM")]["fixed"] is False
    assert by[("t3", "MEM")] == {
        **plan[2],
        "error": "server refused",
        "fixed": False,
    }  # no credit on error
    assert by[("t1", "VER")]["error"] == "not run" and by[("t1", "VER")]["fixed"] is False


def test_concurrent_reruns_run_each_row_alone_and_keep_the_rows():
    import threading
    import time

    originals = {(t, 0): {"domain": "d", "seed": 5, "max_steps": 10} for t in ("t1", "t2", "t3")}
    plan = [{"task_id": t, "trial": 0, "specialist": s} for s in ("MEM", "VER") for t in ("t1", "t2", "t3")]
    calls, threads = [], set()

    def run_group(code, trial, original, task_ids):
        calls.append((code, tuple(task_ids)))
        threads.add(threading.get_ident())
        time.sleep(0.05)  # long enough that the next submission finds no idle worker
        return [
            {"task_id": t, "reward": 1.0 if (code, t) == ("VER", "t2") else 0.0, "error": None}
            for t in task_ids
        ]

    rows = run_planned_reruns(plan, originals, run_group, concurrency=3)
    assert sorted(calls) == sorted((r["specialist"], (r["task_id"],)) for r in plan)  # one task per call
    assert [(r["specialist"], r["task_id"]) for r in rows] == [(r["specialist"], r["task_id"]) for r in plan]
    assert [r["fixed"] for r in rows] == [False, False, False, False, True, False]
    assert len(threads) > 1

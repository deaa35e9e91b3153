"""Fixtures of the judge validation tests."""

from __future__ import annotations

import pytest

from fama_dspy.benchmarks.tau2.evidence import evidence_from_record
from fama_dspy.benchmarks.tau2.judge_validation.context import task_context
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import replay
from fama_dspy.benchmarks.tau2.tasks import load_tasks


@pytest.fixture(scope="package")
def contexts():
    """Task context and gold-dialogue evidence per (domain, task id), built once for all test modules."""
    cache = {}

    def get(domain: str, task_id: str):
        if (domain, task_id) not in cache:
            task = load_tasks(domain, "train", task_ids=[task_id])[0]
            ctx = task_context(domain, task)
            gold = replay(task, domain, ctx.steps)
            cache[(domain, task_id)] = (ctx, gold, evidence_from_record(gold, task))
        return cache[(domain, task_id)]

    return get

"""CM perturbations: a wrong tool misses the gold write; an invented id is rejected by the tool."""

from __future__ import annotations

import pytest

from benchmarks.tau2.judge_validation.helpers import first, replayed, turns
from fama_dspy.benchmarks.tau2.judge_validation.build import rejection
from fama_dspy.benchmarks.tau2.judge_validation.gen_cm import invented_id, wrong_tool


@pytest.mark.parametrize(
    "generator, domain, task_id", [(wrong_tool, "retail", "0"), (invented_id, "airline", "7")]
)
def test_cm_perturbations(contexts, generator, domain, task_id):
    ctx, _, baseline = contexts(domain, task_id)
    p = first(generator, ctx)
    record, ev = replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is True and p.label == "CM"
    if generator is wrong_tool:
        assert ev.missed_actions and ev.missed_actions[0].startswith("exchange_delivered_order_items(")
        assert ("assistant", "return_delivered_order_items") in turns(record)
    else:
        assert ev.tool_errors and "not found" in ev.tool_errors[0]
    assert rejection(record, ev, p, baseline) is None

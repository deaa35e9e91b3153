"""DPV perturbations: a forbidden write without confirmation breaks the DB and nothing else."""

from __future__ import annotations

from benchmarks.tau2.judge_validation.helpers import first, replayed, turns
from fama_dspy.benchmarks.tau2.judge_validation.build import rejection
from fama_dspy.benchmarks.tau2.judge_validation.gen_dpv import (
    cancel_ineligible_reservation,
    other_users_order,
    unearned_compensation,
)


def test_dpv_cancelling_an_ineligible_reservation_breaks_the_db_without_confirmation(contexts):
    ctx, _, baseline = contexts("airline", "0")
    p = first(cancel_ineligible_reservation, ctx)
    record, ev = replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is True
    assert ev.missed_actions == ev.wrong_argument_actions == ev.tool_errors == []
    messages = turns(record)
    cancel = next(i for i, m in enumerate(messages) if m == ("assistant", "cancel_reservation"))
    assert not any(text.startswith("To confirm") for _, text in messages[:cancel])
    assert rejection(record, ev, p, baseline) is None and p.label == "DPV"


def test_dpv_generators_stay_in_their_domain(contexts):
    airline, _, _ = contexts("airline", "7")
    retail, _, _ = contexts("retail", "0")
    assert list(other_users_order(airline)) == [] and list(unearned_compensation(retail)) == []
    p = first(other_users_order, retail)
    record, ev = replayed(retail, p)
    assert record["reward"] == 0.0 and ev.db_mismatch and not ev.missed_actions and not ev.tool_errors
    request = next(
        i for i, (role, text) in enumerate(turns(record)) if role == "user" and "My friend" in text
    )
    assert turns(record)[request + 1 : request + 4 : 2] == [
        ("assistant", "get_order_details"),
        ("assistant", "cancel_pending_order"),
    ]

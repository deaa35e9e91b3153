"""IFU perturbations: ending early leaves the last request undone; an omitted answer keeps the DB right."""

from __future__ import annotations

import pytest

from benchmarks.tau2.judge_validation.helpers import first, replayed
from fama_dspy.benchmarks.tau2.judge_validation.build import rejection
from fama_dspy.benchmarks.tau2.judge_validation.gen_ifu import (
    omit_requested_information,
    stop_before_last_request,
    transfer_before_last_request,
)


@pytest.mark.parametrize("generator", [stop_before_last_request, transfer_before_last_request])
def test_ifu_ending_early_leaves_the_last_request_undone(contexts, generator):
    ctx, _, baseline = contexts("airline", "7")
    p = first(generator, ctx)
    record, ev = replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is True
    assert ev.missed_actions == ['cancel_reservation({"reservation_id": "59XX6W"})']
    assert ev.wrong_argument_actions == []
    assert rejection(record, ev, p, baseline) is None and p.label == "IFU"


def test_ifu_omitted_information_keeps_the_db_right(contexts):
    ctx, _, baseline = contexts("airline", "7")
    p = first(omit_requested_information, ctx)
    record, ev = replayed(ctx, p)
    assert record["reward"] == 0.0 and ev.db_mismatch is False and ev.missing_information == ["1628"]
    assert rejection(record, ev, p, baseline) is None

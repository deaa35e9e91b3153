"""Building the set: only perturbations that fail for the intended reason are kept; the shipped set."""

from __future__ import annotations

import json

from benchmarks.tau2.judge_validation.helpers import DATA, first, replayed
from fama_dspy.analysis.taxonomy import CATEGORIES
from fama_dspy.benchmarks.tau2.judge_validation.build import (
    EXAMPLES_FILE,
    MANIFEST_FILE,
    load_validation_set,
    rejection,
)
from fama_dspy.benchmarks.tau2.judge_validation.gen_dpv import cancel_ineligible_reservation
from fama_dspy.benchmarks.tau2.judge_validation.gen_ifu import stop_before_last_request


def test_a_perturbation_that_does_not_fail_is_rejected(contexts):
    ctx, gold, baseline = contexts("airline", "7")
    p = first(stop_before_last_request, ctx)
    assert rejection(gold, baseline, p, baseline) == "τ² scored it 1.0"


def test_shipped_validation_set_is_small_labelled_and_failing():
    path = DATA / EXAMPLES_FILE
    assert path.stat().st_size < 400_000
    rows = load_validation_set(DATA)
    counts = {c: sum(r["label"] == c for r in rows) for c in CATEGORIES}
    assert all(n >= 10 for n in counts.values()), counts
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        ev = r["evidence"]
        assert ev.reward == 0.0 and ev.user_in_role is True and ev.condensed_trajectory
        assert r["domain"] in ("airline", "retail") and r["description"]
    manifest = json.loads((DATA / MANIFEST_FILE).read_text())
    assert manifest["examples"] == len(rows) and manifest["by_label"] == counts


def test_a_shipped_example_is_reproduced_exactly(contexts):
    [row] = [r for r in load_validation_set(DATA) if r["id"] == "airline/0/cancel_ineligible_reservation"]
    ctx, _, _ = contexts("airline", "0")
    _, ev = replayed(ctx, first(cancel_ineligible_reservation, ctx))
    assert ev == row["evidence"]

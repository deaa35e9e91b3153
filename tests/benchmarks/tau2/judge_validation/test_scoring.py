"""Judge precision/recall on the validation set: the counting, and a scripted judge end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from analysis.judge_lm import judge_lm, verdict

from fama_dspy.analysis.diagnosis import CategoryVerdict, FailureDiagnosis
from fama_dspy.benchmarks.tau2.judge_validation.build import EXAMPLES_FILE
from fama_dspy.benchmarks.tau2.judge_validation.scoring import (
    balanced_subset,
    evaluate_judges,
    score_judges,
    validation_table,
)
from fama_dspy.errors import ConfigError

DATA = Path(__file__).resolve().parents[4] / "data" / "judge_validation" / EXAMPLES_FILE


def _diagnosis(occurred: dict[str, bool | None], primary=(), non_agent="none") -> FailureDiagnosis:
    return FailureDiagnosis(
        task_id="t",
        verdicts={
            c: CategoryVerdict(occurred=o, source="judge" if o is not None else "parse_failure")
            for c, o in occurred.items()
        },
        primary=list(primary),
        non_agent=non_agent,
        parse_failures=sum(o is None for o in occurred.values()),
    )


def test_counts_precision_and_recall_per_category():
    labels = ["DPV", "DPV", "WRCO", "CM"]
    diagnoses = [
        _diagnosis({"DPV": True, "WRCO": False, "CM": False, "IFU": True}, primary=["DPV"]),
        _diagnosis({"DPV": None, "WRCO": False, "CM": False, "IFU": False}),
        _diagnosis({"DPV": True, "WRCO": True, "CM": False, "IFU": False}, primary=["DPV"]),
        _diagnosis(
            {"DPV": False, "WRCO": False, "CM": True, "IFU": False}, primary=["CM"], non_agent="user_drift"
        ),
    ]
    r = score_judges(labels, diagnoses)
    dpv = r.judges["DPV"]
    assert (dpv.support, dpv.tp, dpv.fp, dpv.fn, dpv.tn, dpv.unknown) == (2, 1, 1, 1, 1, 1)
    assert dpv.precision == 0.5 and dpv.recall == 0.5
    assert (r.judges["WRCO"].precision, r.judges["WRCO"].recall) == (1.0, 1.0)
    ifu = r.judges["IFU"]
    assert ifu.support == 0 and ifu.recall is None and ifu.precision == 0.0
    assert (r.primary["DPV"].tp, r.primary["DPV"].fp, r.primary["WRCO"].fn) == (1, 1, 1)
    assert r.primary["WRCO"].precision is None
    assert r.non_agent_false_alarms == 1 and r.parse_failures == 1 and r.n == 4


def test_rejects_mismatched_inputs():
    with pytest.raises(ValueError):
        score_judges(["DPV"], [])
    with pytest.raises(ConfigError, match="XYZ"):
        score_judges(["XYZ"], [_diagnosis({})])


def test_scripted_judge_on_the_validation_set(tmp_path):
    # One shipped example per category, from both domains; a judge that finds DPV everywhere and nothing else.
    wanted = {"DPV": "airline", "WRCO": "retail", "CM": "airline", "IFU": "retail"}
    rows = {}
    for line in DATA.read_text().splitlines():
        row = json.loads(line)
        if wanted[row["label"]] == row["domain"]:
            rows.setdefault(row["label"], line)
    path = tmp_path / EXAMPLES_FILE
    path.write_text("\n".join(rows.values()) + "\n")
    lm, engine = judge_lm(
        {
            "DPV": verdict(True, [2]),
            "WRCO": verdict(False),
            "CM": verdict(False),
            "IFU": verdict(False),
            "non_agent": json.dumps({"rationale": "the agent", "kind": "none"}),
        }
    )
    result = evaluate_judges(lm, path, judge_model="scripted-judge", concurrency=2)
    assert result.n == 4 and result.judge_model == "scripted-judge"
    assert (result.judges["DPV"].precision, result.judges["DPV"].recall) == (0.25, 1.0)
    for c in ("WRCO", "CM", "IFU"):
        assert result.judges[c].precision is None and result.judges[c].recall == 0.0
    assert result.primary["DPV"].tp == 1 and result.primary["DPV"].fp == 3
    assert result.non_agent_false_alarms == 0 and "primary" not in engine.roles()
    # The judges were shown each example's domain policy.
    prompts = [prompt.lower() for role, prompt, _ in engine.calls if role == "DPV"]
    assert any("airline agent policy" in p for p in prompts) and any(
        "retail agent policy" in p for p in prompts
    )
    table = validation_table(result)
    assert [c.header for c in table.columns][:3] == ["category", "examples", "judge precision"]


def test_missing_validation_set_is_a_clear_error(tmp_path):
    lm, _ = judge_lm({})
    with pytest.raises(ConfigError, match="fama validate-judges build"):
        evaluate_judges(lm, tmp_path / "none.jsonl")


def test_limit_takes_every_category_in_turn():
    rows = [
        {"id": i, "label": label} for i, label in enumerate(["DPV", "DPV", "DPV", "IFU", "CM", "IFU", "CM"])
    ]
    chosen = balanced_subset(rows, 5)
    assert [r["label"] for r in chosen] == ["CM", "DPV", "IFU", "CM", "DPV"]
    assert [r["id"] for r in chosen] == [4, 0, 3, 6, 1]  # file order within a category
    assert balanced_subset(rows, None) == rows and balanced_subset(rows, 99) == rows

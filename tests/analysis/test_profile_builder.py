"""build_profile: counting over agent-caused failures, exclusions, learned relation, selection."""

from __future__ import annotations

import pytest

from fama_dspy.analysis.diagnosis import CategoryVerdict, FailureDiagnosis
from fama_dspy.analysis.profile_builder import build_profile
from fama_dspy.analysis.selection import prior_relation, select_specialists
from fama_dspy.errors import ConfigError


def _d(task: str, primary=(), non_agent="none", failed=True, unknown=0, judge="judge-a") -> FailureDiagnosis:
    verdicts = {
        c: CategoryVerdict(occurred=None, source="parse_failure")
        for c in ["DPV", "WRCO", "CM", "IFU"][:unknown]
    }
    return FailureDiagnosis(
        task_id=task,
        domain="airline",
        primary=list(primary),
        non_agent=non_agent,
        failed=failed,
        verdicts=verdicts,
        judge_model=judge,
    )


DIAGNOSES = [
    _d("1", ["DPV"]),
    _d("2", ["DPV", "CM"]),
    _d("3", ["IFU"], unknown=1),
    _d("4", []),
    _d("5", ["WRCO"], non_agent="user_drift"),
    _d("6", failed=False),
]


def test_counts_frequencies_and_exclusions():
    p = build_profile(DIAGNOSES, model="qwen-1.5b", domain="airline", trials=2)
    assert (
        p.n_failed == 5
        and p.n_excluded_non_agent == 1
        and p.n_without_primary == 1
        and p.n_unknown_verdicts == 1
    )
    assert p.category_counts == {"DPV": 2, "WRCO": 0, "CM": 1, "IFU": 1}
    assert p.category_frequencies == {"DPV": 0.5, "WRCO": 0.0, "CM": 0.25, "IFU": 0.25}
    assert p.task_ids == ["1", "2", "3", "4", "5", "6"] and p.trials == 2 and p.judge_model == "judge-a"
    assert p.recommended == ["dce", "mem"] and p.coverage == 1.0
    assert (
        p.specialist_scores["dce"] == 0.5
        and p.specialist_scores["mem"] == 0.5
        and p.specialist_scores["tor"] == 0
    )
    assert p.relation == prior_relation()
    notes = " ".join(p.notes)
    assert "1 failed episode(s) excluded" in notes and "user_drift" in notes and "no primary error" in notes
    assert "relation is the prior" in notes


def test_selection_matches_select_specialists():
    p = build_profile(DIAGNOSES, model="m", domain="airline", coverage_threshold=0.6, budget=1)
    expected = select_specialists(p.category_frequencies, prior_relation(), 0.6, 1)
    assert p.recommended == expected.subset and p.explanation == expected.explanation
    assert p.coverage_threshold == 0.6 and p.budget == 1


def test_unreached_threshold_is_noted():
    p = build_profile(DIAGNOSES, model="m", domain="airline", coverage_threshold=0.9, budget=1)
    assert p.coverage < 0.9 and any("not reached" in n for n in p.notes)


def test_fix_evidence_reshapes_relation_and_is_reported():
    evidence = {("DPV", "dce"): (6, 0), ("DPV", "ver"): (6, 5)}
    p = build_profile(DIAGNOSES, evidence, model="m", domain="airline", prior_weight=2.0)
    assert p.relation["DPV"]["dce"] == 0.25 and p.relation["DPV"]["ver"] == pytest.approx(7 / 8)
    assert p.evidence["dce"] == {"tried": 6, "fixed": 0} and p.evidence["ver"] == {"tried": 6, "fixed": 5}
    assert "ver" in p.recommended and "dce" not in p.recommended
    assert not any("relation is the prior" in n for n in p.notes)


def test_no_failures_gives_an_empty_recommendation():
    p = build_profile([_d("1", failed=False)], model="m", domain="airline")
    assert p.n_failed == 0 and p.recommended == [] and p.coverage == 0.0
    assert "no specialist" in p.explanation.lower()


def test_a_profile_is_per_domain_and_names_mixed_judges():
    with pytest.raises(ConfigError, match="per domain"):
        build_profile([_d("1", ["DPV"])], model="m", domain="retail")
    p = build_profile([_d("1", ["DPV"]), _d("2", ["CM"], judge="judge-b")], model="m", domain="airline")
    assert p.judge_model == "judge-a, judge-b" and any("several judge models" in n for n in p.notes)

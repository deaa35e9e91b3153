"""Re-run planning and fix-evidence counting."""

from __future__ import annotations

import pytest

from fama_dspy.analysis.credit import candidate_reruns, evidence_by_specialist, fix_evidence_from_reruns
from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.errors import ConfigError


def test_counts_tries_and_fixes_per_category_and_specialist():
    reruns = [
        {"task_id": "1", "categories": ["DPV"], "specialist": "dce", "fixed": True},
        {"task_id": "2", "categories": ["DPV"], "specialist": "dce", "fixed": False},
        {"task_id": "3", "categories": ["DPV", "IFU"], "specialist": "VER", "fixed": True},
        {"task_id": "4", "categories": "CM", "specialist": "mem", "fixed": 0},
        {"task_id": "5", "categories": ["CM", "CM"], "specialist": "mem", "fixed": 1},
    ]
    assert fix_evidence_from_reruns(reruns) == {
        ("DPV", "dce"): (2, 1),
        ("DPV", "ver"): (1, 1),
        ("IFU", "ver"): (1, 1),
        ("CM", "mem"): (2, 1),
    }


def test_no_reruns_no_evidence():
    assert fix_evidence_from_reruns([]) == {}


@pytest.mark.parametrize(
    "row, message",
    [
        ({"task_id": "1", "categories": ["DPV"], "specialist": "dce"}, "lacks fixed"),
        (
            {"task_id": "1", "categories": ["BAD"], "specialist": "dce", "fixed": True},
            "unknown error category",
        ),
        ({"task_id": "1", "categories": ["DPV"], "specialist": "xyz", "fixed": True}, "unknown specialist"),
    ],
)
def test_malformed_rows_are_rejected(row, message):
    with pytest.raises(ConfigError, match=message):
        fix_evidence_from_reruns([row])


def test_evidence_by_specialist_sums_over_categories():
    evidence = evidence_by_specialist({("DPV", "ver"): (3, 1), ("IFU", "ver"): (2, 2), ("CM", "mem"): (1, 0)})
    assert evidence["ver"] == {"tried": 5, "fixed": 3}
    assert evidence["mem"] == {"tried": 1, "fixed": 0}
    assert evidence["dce"] == {"tried": 0, "fixed": 0}


def test_candidate_reruns_follow_the_prior_links_of_primary_errors():
    diagnoses = [
        FailureDiagnosis(task_id="1", trial=2, primary=["WRCO", "DPV"]),
        FailureDiagnosis(task_id="2", primary=[]),
        FailureDiagnosis(task_id="3", non_agent="user_drift", primary=["CM"]),
        FailureDiagnosis(task_id="4", failed=False),
    ]
    rows = candidate_reruns(diagnoses)
    assert [(r["task_id"], r["trial"], r["specialist"]) for r in rows] == [
        ("1", 2, "dce"),
        ("1", 2, "tor"),
        ("1", 2, "ver"),
    ]
    assert all(r["categories"] == ["WRCO", "DPV"] for r in rows)
    assert len(candidate_reruns(diagnoses, max_per_episode=1)) == 1


def test_rerun_rows_feed_back_into_evidence():
    rows = candidate_reruns([FailureDiagnosis(task_id="1", primary=["CM"])])
    done = [{**r, "fixed": r["specialist"] == "pln"} for r in rows]
    assert fix_evidence_from_reruns(done) == {
        ("CM", "tsa"): (1, 0),
        ("CM", "pln"): (1, 1),
        ("CM", "mem"): (1, 0),
    }

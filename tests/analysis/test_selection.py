"""Set-cover selection and learned-score blending."""

from __future__ import annotations

import random
from itertools import combinations

import pytest

from fama_dspy.analysis.selection import (
    ERROR_TO_SPECIALISTS,
    coverage,
    failure_mass,
    learn_scores,
    prior_relation,
    select_specialists,
)
from fama_dspy.analysis.taxonomy import CATEGORIES, SPECIALIST_CODES
from fama_dspy.errors import ConfigError

PRIOR = prior_relation()


def test_prior_matrix_follows_the_links():
    for c in CATEGORIES:
        assert set(PRIOR[c]) == set(SPECIALIST_CODES)
        assert {s for s, w in PRIOR[c].items() if w == 1.0} == set(ERROR_TO_SPECIALISTS[c])
        assert all(w in (0.0, 1.0) for w in PRIOR[c].values())


# --- learned scores --------------------------------------------------------------------------------


def test_no_evidence_leaves_the_prior():
    assert learn_scores(PRIOR, None) == PRIOR
    assert learn_scores(PRIOR, {}, prior_weight=5) == PRIOR


def test_evidence_shifts_scores_as_a_beta_posterior_mean():
    scores = learn_scores(
        PRIOR, {("DPV", "dce"): (4, 0), ("WRCO", "pln"): (2, 2), ("CM", "mem"): (3, 3)}, prior_weight=2
    )
    assert scores["DPV"]["dce"] == pytest.approx(2 / 6)  # linked, never fixed: falls
    assert scores["WRCO"]["pln"] == pytest.approx(2 / 4)  # unlinked, always fixed: rises
    assert scores["CM"]["mem"] == pytest.approx(1.0)
    assert scores["DPV"]["ver"] == 1.0 and scores["IFU"]["tor"] == 0.0  # untouched pairs


def test_prior_weight_sets_how_fast_evidence_wins():
    light = learn_scores(PRIOR, {("DPV", "dce"): (4, 0)}, prior_weight=0.5)["DPV"]["dce"]
    heavy = learn_scores(PRIOR, {("DPV", "dce"): (4, 0)}, prior_weight=20)["DPV"]["dce"]
    assert light < heavy < 1.0
    assert learn_scores(PRIOR, {("DPV", "dce"): (4, 1)}, prior_weight=0)["DPV"]["dce"] == 0.25


@pytest.mark.parametrize(
    "evidence",
    [{("DPV", "dce"): (1, 2)}, {("DPV", "dce"): (-1, 0)}, {("XYZ", "dce"): (1, 0)}, {("DPV", "abc"): (1, 0)}],
)
def test_bad_evidence_is_rejected(evidence):
    with pytest.raises(ConfigError):
        learn_scores(PRIOR, evidence)


def test_learned_evidence_changes_the_selection():
    assert select_specialists({"DPV": 1}, PRIOR).subset == ["dce"]
    learned = learn_scores(PRIOR, {("DPV", "dce"): (10, 1)})
    assert select_specialists({"DPV": 1}, learned).subset == ["ver"]


# --- selection -------------------------------------------------------------------------------------


def test_minimal_set_is_the_papers_dce_mem_for_a_policy_heavy_profile():
    sel = select_specialists({"DPV": 0.5, "CM": 0.3, "IFU": 0.2}, PRIOR, coverage_threshold=0.8, budget=3)
    assert sel.subset == ["dce", "mem"] and sel.coverage == pytest.approx(1.0)
    assert "dce" in sel.explanation and "80%" in sel.explanation


def test_a_dominant_category_alone_can_reach_the_threshold():
    sel = select_specialists({"DPV": 0.85, "WRCO": 0.15}, PRIOR, coverage_threshold=0.8, budget=2)
    assert sel.subset == ["dce"] and sel.coverage == pytest.approx(0.85)


def test_ties_prefer_llm_free_then_pool_order():
    assert select_specialists({"CM": 1}, PRIOR).subset == [
        "mem"
    ]  # tsa, pln, mem all cover CM; mem needs no LM
    assert select_specialists({"DPV": 1}, PRIOR).subset == ["dce"]  # dce before ver in the pool


def test_ties_prefer_higher_coverage_first():
    relation = learn_scores(PRIOR, {("DPV", "dce"): (8, 7), ("DPV", "ver"): (8, 8)})
    sel = select_specialists({"DPV": 1}, relation, coverage_threshold=0.5)
    assert sel.subset == ["ver"]


def test_budget_binds_and_the_best_set_within_it_is_returned_with_a_note():
    freqs = {c: 0.25 for c in CATEGORIES}
    sel = select_specialists(freqs, PRIOR, coverage_threshold=1.0, budget=2)
    # dce+mem, tor+mem, ver+mem ... all cover 75% with one LM call each: pool order picks dce.
    assert sel.subset == ["dce", "mem"] and sel.coverage == pytest.approx(0.75)
    assert sel.explanation.startswith("No set of at most 2 specialists reaches 100% coverage")
    wider = select_specialists(freqs, PRIOR, coverage_threshold=1.0, budget=3)
    assert wider.subset == ["dce", "tor", "mem"] and wider.coverage == pytest.approx(1.0)


def test_unreachable_threshold_does_not_pad_with_useless_specialists():
    relation = {c: {s: 0.0 for s in SPECIALIST_CODES} for c in CATEGORIES}
    relation["DPV"]["ver"] = 0.4
    sel = select_specialists({"DPV": 1.0}, relation, coverage_threshold=0.8, budget=3)
    assert sel.subset == ["ver"] and sel.coverage == pytest.approx(0.4)


def test_empty_profile_selects_nothing():
    for freqs in ({}, {"DPV": 0.0, "CM": 0}):
        sel = select_specialists(freqs, PRIOR)
        assert sel.subset == [] and sel.coverage == 0.0 and "no specialist" in sel.explanation.lower()


def test_counts_and_frequencies_give_the_same_selection():
    assert select_specialists({"DPV": 6, "WRCO": 4}, PRIOR) == select_specialists(
        {"DPV": 0.6, "WRCO": 0.4}, PRIOR
    )


def test_invalid_settings_are_rejected():
    with pytest.raises(ConfigError):
        select_specialists({"DPV": 1}, PRIOR, coverage_threshold=1.5)
    with pytest.raises(ConfigError):
        select_specialists({"DPV": 1}, PRIOR, budget=-1)
    with pytest.raises(ConfigError):
        select_specialists({"OOPS": 1}, PRIOR)


def test_failure_mass_normalises_and_drops_zeros():
    assert failure_mass({"DPV": 0.6, "CM": 0.6, "IFU": 0}) == {"DPV": 0.5, "CM": 0.5}


def test_selection_matches_brute_force_on_random_relations():
    rng = random.Random(7)
    for _ in range(200):
        relation = {c: {s: rng.choice([0.0, 0.3, 0.6, 1.0]) for s in SPECIALIST_CODES} for c in CATEGORIES}
        freqs = {c: rng.choice([0, 1, 2, 5]) for c in CATEGORIES}
        threshold, budget = rng.choice([0.5, 0.8, 0.95]), rng.choice([1, 2, 3])
        sel = select_specialists(freqs, relation, threshold, budget)
        mass = failure_mass(freqs)
        if not mass:
            assert sel.subset == []
            continue
        subsets = [s for k in range(budget + 1) for s in combinations(SPECIALIST_CODES, k)]
        reaching = [s for s in subsets if coverage(s, mass, relation) >= threshold - 1e-9]
        assert len(sel.subset) <= budget
        assert sel.coverage == pytest.approx(coverage(sel.subset, mass, relation))
        if reaching:
            smallest = min(len(s) for s in reaching)
            assert len(sel.subset) == smallest
            assert sel.coverage == pytest.approx(
                max(coverage(s, mass, relation) for s in reaching if len(s) == smallest)
            )
        else:
            assert sel.coverage == pytest.approx(max(coverage(s, mass, relation) for s in subsets))

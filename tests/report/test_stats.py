"""Report maths against hand-computed cases."""

import math

import pytest

from fama_dspy.report.stats import (
    bootstrap_mean,
    paired_accuracy_difference,
    paired_bootstrap,
    paired_pass1_difference,
    pass_hat_k_curve,
    pass_hat_k_from_counts,
    relative_overhead,
)
from fama_dspy.results.summary import pass_hat_k
from report.synthetic import episode

# (successes, trials) per task
COUNTS = [(2, 4), (4, 4), (0, 4)]


def test_pass_hat_k_by_hand():
    assert pass_hat_k_from_counts(COUNTS, 1) == pytest.approx((0.5 + 1 + 0) / 3)
    # C(2,2)/C(4,2) = 1/6 for the first task
    assert pass_hat_k_from_counts(COUNTS, 2) == pytest.approx((1 / 6 + 1 + 0) / 3)
    assert pass_hat_k_from_counts(COUNTS, 3) == pytest.approx(1 / 3)
    assert pass_hat_k_curve(COUNTS) == pytest.approx({1: 0.5, 2: 7 / 18, 3: 1 / 3, 4: 1 / 3})


def test_tasks_with_fewer_than_k_trials_are_left_out_of_pass_k():
    counts = [*COUNTS, (1, 1)]
    assert pass_hat_k_from_counts(counts, 1) == pytest.approx((0.5 + 1 + 0 + 1) / 4)
    assert pass_hat_k_from_counts(counts, 2) == pytest.approx(7 / 18)
    assert pass_hat_k_curve(counts) == pytest.approx({1: 0.625})  # capped at the smallest trial count
    with pytest.raises(ValueError):
        pass_hat_k_from_counts([(1, 1)], 2)
    with pytest.raises(ValueError):
        pass_hat_k_from_counts([(3, 2)], 1)


def test_pass_hat_k_agrees_with_the_harness_definition():
    records = [
        episode("react", f"t{t}", trial, trial < c) for t, (c, n) in enumerate(COUNTS) for trial in range(n)
    ]
    for k in range(1, 5):
        assert pass_hat_k_from_counts(COUNTS, k) == pytest.approx(pass_hat_k(records, k))


def test_bootstrap_of_two_units_matches_the_exact_resampling_distribution():
    # Resampling [0, 1] twice: mean 0 (p 1/4), 0.5 (p 1/2), 1 (p 1/4).
    result = bootstrap_mean([0.0, 1.0], resamples=20_000, seed=1)
    assert result.estimate == 0.5
    assert result.share_at_or_below_zero == pytest.approx(0.25, abs=0.015)
    assert (result.low, result.high) == (0.0, 1.0)
    assert result.n == 2 and result.resamples == 20_000


def test_interval_excludes_zero_when_the_configuration_never_loses():
    config = [1] * 10
    base = [0, 0, 1, 0, 0, 0, 1, 0, 0, 0]  # differences: eight 1s, two 0s
    result = paired_bootstrap(config, base, seed=0)
    assert result.estimate == pytest.approx(0.8)
    # A resampled mean is X/10 with X ~ Bin(10, 0.8): it is ≤ 0 only if X = 0 (p = 0.2^10 ≈ 1e-7).
    assert result.share_at_or_below_zero == 0.0
    # P(X ≤ 4) ≈ 0.6 % and P(X ≤ 5) ≈ 3.3 %: the 2.5 % quantile is 5/10; P(X = 10) ≈ 10.7 %: the 97.5 % one is 1.
    assert result.low == pytest.approx(0.5)
    assert result.high == 1.0
    assert result.excludes_zero


def test_interval_includes_zero_for_a_wash():
    result = paired_bootstrap([1, 0, 1, 0, 1, 1], [0, 1, 0, 1, 1, 1], seed=0)  # differences +1 -1 +1 -1 0 0
    assert result.estimate == 0
    assert result.low < 0 < result.high and not result.excludes_zero
    assert 0.5 <= result.share_at_or_below_zero < 0.75


def test_identical_agents_give_a_zero_width_interval_at_zero():
    result = paired_bootstrap([1, 0, 1], [1, 0, 1])
    assert (result.estimate, result.low, result.high, result.width) == (0, 0, 0, 0)
    assert result.share_at_or_below_zero == 1.0 and not result.excludes_zero


def test_single_unit_and_seed_determinism():
    single = bootstrap_mean([0.3])
    assert single.low == single.high == pytest.approx(0.3)
    values = [0.1, 0.9, 0.4, 0.0, 1.0, 0.6, 0.2]
    assert bootstrap_mean(values, seed=5) == bootstrap_mean(values, seed=5)
    assert bootstrap_mean(values, seed=5) != bootstrap_mean(values, seed=6)


def test_bootstrap_rejects_bad_input():
    with pytest.raises(ValueError):
        bootstrap_mean([])
    with pytest.raises(ValueError):
        paired_bootstrap([1, 0], [1])
    with pytest.raises(ValueError):
        bootstrap_mean([1.0], confidence=1.0)


def test_pass1_difference_pairs_only_shared_tasks_and_averages_trials():
    config = {"a": [True, False], "b": [True, True], "c": [False, False]}
    base = {"b": [False, False], "c": [True, False], "d": [True, True]}
    result = paired_pass1_difference(config, base, seed=0)
    # shared b, c: (1 - 0) and (0 - 0.5) → mean 0.25
    assert result.n == 2 and result.estimate == pytest.approx(0.25)
    assert paired_pass1_difference({"a": [True]}, {"b": [True]}) is None


def test_accuracy_difference_pairs_points():
    config = {f"p{i}": i < 8 for i in range(10)}
    base = {f"p{i}": i < 4 for i in range(10)} | {"extra": True}
    result = paired_accuracy_difference(config, base, seed=0)
    assert result.n == 10 and result.estimate == pytest.approx(0.4)
    # Never worse on any point, but 6 of 10 differences are 0: all-zero resamples have p = 0.6^10 ≈ 0.6 %.
    assert result.excludes_zero and result.share_at_or_below_zero == pytest.approx(0.6**10, abs=0.002)
    assert paired_accuracy_difference({"x": True}, {"y": True}) is None


def test_relative_overhead():
    assert relative_overhead(130.0, 100.0) == pytest.approx(0.3)
    assert relative_overhead(50.0, 100.0) == pytest.approx(-0.5)
    assert relative_overhead(10.0, 0.0) is None and relative_overhead(None, 1.0) is None
    assert math.isclose(relative_overhead(100.0, 100.0), 0.0)

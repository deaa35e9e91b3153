"""Benchmark statistics as pure functions over plain data: pass^k and paired bootstrap intervals.

pass^k (τ-bench / τ²): for a task with n trials of which c succeeded, C(c, k) / C(n, k) — the
chance that k trials drawn without replacement all succeed — averaged over the tasks that have at
least k trials (the same definition as ``fama_dspy.results.summary.pass_hat_k``).

Paired bootstrap: two agents ran on the *same* units (tasks, or decision points). The statistic is
the mean over units of the per-unit difference (config − base). Units are resampled with
replacement ``resamples`` times with a seeded generator; the interval is the percentile interval
of the resampled means, and ``share_at_or_below_zero`` is the fraction of resampled means ≤ 0 (a
one-sided bootstrap p-value for "the configuration is better"). Pairing removes the task-to-task
variation both agents share, which is most of the variation on τ²-bench.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

DEFAULT_RESAMPLES = 10_000
DEFAULT_CONFIDENCE = 0.95
DEFAULT_SEED = 0
#: Resampled means are computed in blocks of this many resamples, so memory stays bounded for
#: thousands of units.
_BLOCK = 1_000


def pass_hat_k_from_counts(counts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean over tasks with ≥ k trials of C(successes, k) / C(trials, k); ``counts`` = (successes, trials)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    values = []
    for successes, trials in counts:
        if not 0 <= successes <= trials:
            raise ValueError(f"successes {successes} outside 0..{trials}")
        if trials >= k:
            values.append(math.comb(successes, k) / math.comb(trials, k))
    if not values:
        raise ValueError(f"no task has {k} or more trials")
    return sum(values) / len(values)


def pass_hat_k_curve(counts: Sequence[tuple[int, int]], max_k: int | None = None) -> dict[int, float]:
    """pass^1 … pass^max_k (default: the smallest trial count, as τ² caps k)."""
    if not counts:
        return {}
    limit = min(trials for _, trials in counts) if max_k is None else max_k
    return {k: pass_hat_k_from_counts(counts, k) for k in range(1, limit + 1)}


def success_counts(outcomes: Mapping[str, Sequence[bool]]) -> dict[str, tuple[int, int]]:
    """Task → (successes, trials) from task → per-trial success flags."""
    return {task: (sum(1 for ok in flags if ok), len(flags)) for task, flags in outcomes.items()}


@dataclass(frozen=True)
class BootstrapInterval:
    """A bootstrap estimate: the observed mean, its percentile interval, and how it was made."""

    estimate: float
    low: float
    high: float
    share_at_or_below_zero: float
    n: int
    resamples: int
    confidence: float
    seed: int

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0

    def as_dict(self) -> dict[str, float | int | bool]:
        return {**asdict(self), "width": self.width, "excludes_zero": self.excludes_zero}


def bootstrap_mean(
    values: Sequence[float],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> BootstrapInterval:
    """Percentile bootstrap interval of the mean of ``values`` (units resampled with replacement)."""
    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or data.size == 0:
        raise ValueError("the bootstrap needs at least one value")
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    rng = np.random.default_rng(seed)
    n = data.size
    means = np.empty(resamples)
    for start in range(0, resamples, _BLOCK):
        stop = min(start + _BLOCK, resamples)
        picks = rng.integers(0, n, size=(stop - start, n))
        means[start:stop] = data[picks].mean(axis=1)
    alpha = 1.0 - confidence
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return BootstrapInterval(
        estimate=float(data.mean()),
        low=float(low),
        high=float(high),
        share_at_or_below_zero=float(np.mean(means <= 0)),
        n=n,
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    )


def paired_bootstrap(
    values: Sequence[float],
    base_values: Sequence[float],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> BootstrapInterval:
    """Interval of mean(values − base_values); element i of both sequences is the same unit."""
    if len(values) != len(base_values):
        raise ValueError(f"paired samples differ in length: {len(values)} vs {len(base_values)}")
    differences = np.asarray(values, dtype=float) - np.asarray(base_values, dtype=float)
    return bootstrap_mean(differences, resamples=resamples, confidence=confidence, seed=seed)


def paired_units(config: Mapping[str, float], base: Mapping[str, float]) -> list[str]:
    """Units measured for both, in the configuration's order: the only ones a paired test may use."""
    return [unit for unit in config if unit in base]


def paired_pass1_difference(
    config_outcomes: Mapping[str, Sequence[bool]],
    base_outcomes: Mapping[str, Sequence[bool]],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> BootstrapInterval | None:
    """Δpass^1 (config − base) over the tasks both ran: per task, success rate difference.

    pass^1 of a task is c / n, so the mean of per-task differences is exactly pass^1(config) −
    pass^1(base) on the shared tasks. None when no task is shared.
    """
    return paired_mean_difference(
        config_outcomes, base_outcomes, resamples=resamples, confidence=confidence, seed=seed
    )


def paired_mean_difference(
    config_values: Mapping[str, Sequence[float]],  # bools count as 0/1: pass^1 is the mean of successes
    base_values: Mapping[str, Sequence[float]],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> BootstrapInterval | None:
    """Δ of a per-episode score (config − base) over the tasks both ran: per task, the difference of
    the trial means (a graded score such as ACEBench's process accuracy). None when no task is shared."""
    config_means = {t: sum(v) / len(v) for t, v in config_values.items() if len(v)}
    base_means = {t: sum(v) / len(v) for t, v in base_values.items() if len(v)}
    shared = paired_units(config_means, base_means)
    if not shared:
        return None
    return paired_bootstrap(
        [config_means[t] for t in shared],
        [base_means[t] for t in shared],
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    )


def paired_accuracy_difference(
    config_correct: Mapping[str, bool],
    base_correct: Mapping[str, bool],
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = DEFAULT_SEED,
) -> BootstrapInterval | None:
    """Δaccuracy (config − base) over the decision points both answered; None when none is shared.

    Points are resampled independently; points of one task are correlated, so with few tasks the
    interval is somewhat optimistic.
    """
    shared = paired_units(config_correct, base_correct)
    if not shared:
        return None
    return paired_bootstrap(
        [float(bool(config_correct[p])) for p in shared],
        [float(bool(base_correct[p])) for p in shared],
        resamples=resamples,
        confidence=confidence,
        seed=seed,
    )


def relative_overhead(value: float | None, base_value: float | None) -> float | None:
    """value / base_value − 1 (0.3 = 30 % more than the base); None when either is missing or base is 0."""
    if value is None or base_value is None or base_value == 0:
        return None
    return value / base_value - 1.0

"""Mitigation: the smallest specialist subset that covers the failure mass of a profile.

The relation ``r[c][s]`` ∈ [0, 1] says how well specialist ``s`` addresses errors of category ``c``.
It starts as the prior of docs/design.md §3 (1 where linked, 0 elsewhere) and is learned from re-runs of
failed tasks (``learn_scores``).

Coverage (the definition every number in a profile uses):
- failure mass ``m_c`` = category frequencies normalised to sum 1 (an episode may have several
  primary errors, so raw frequencies can sum past 1);
- a set S covers category c as well as its best member: ``cov_c(S) = max_{s∈S} r[c][s]``
  (specialists of one category are alternatives, not additive);
- ``coverage(S) = Σ_c m_c · cov_c(S)``, in [0, 1].
"""

from __future__ import annotations

from itertools import combinations
from typing import NamedTuple

from fama_dspy.analysis.taxonomy import CATEGORIES, LLM_FREE_SPECIALISTS, SPECIALIST_CODES
from fama_dspy.errors import ConfigError

# docs/design.md §3: the natural error→specialist links, a prior to be learned from data. Each
# specialist declares the categories it mitigates; the registry gathers them per category.
from fama_dspy.specialists.registry import ERROR_TO_SPECIALISTS

Relation = dict[str, dict[str, float]]
_EPS = 1e-9


class Selection(NamedTuple):
    subset: list[str]
    coverage: float
    explanation: str


def prior_relation(links: dict[str, list[str]] = ERROR_TO_SPECIALISTS, linked: float = 1.0) -> Relation:
    """The prior as a full category × specialist matrix: ``linked`` where linked, 0 elsewhere."""
    _check_links(links)
    return {c: {s: (linked if s in links.get(c, []) else 0.0) for s in SPECIALIST_CODES} for c in CATEGORIES}


def learn_scores(
    prior: Relation,
    fix_evidence: dict[tuple[str, str], tuple[int, int]] | None,
    prior_weight: float = 2.0,
) -> Relation:
    """Blend prior and re-run evidence per (category, specialist) as a Beta-posterior mean:
    ``(prior_weight·prior + fixed) / (prior_weight + tried)``.

    ``prior_weight`` is the number of pseudo-trials the prior is worth: with 2, two real re-runs
    weigh as much as the prior. No evidence for a pair → its prior unchanged.
    """
    if prior_weight < 0:
        raise ConfigError(f"prior_weight must be >= 0, got {prior_weight}.")
    scores = {c: {s: float(prior.get(c, {}).get(s, 0.0)) for s in SPECIALIST_CODES} for c in CATEGORIES}
    for (category, code), (tried, fixed) in (fix_evidence or {}).items():
        _check_pair(category, code)
        if tried < 0 or fixed < 0 or fixed > tried:
            raise ConfigError(f"Bad evidence for ({category}, {code}): tried={tried}, fixed={fixed}.")
        if prior_weight + tried == 0:
            continue
        scores[category][code] = (prior_weight * scores[category][code] + fixed) / (prior_weight + tried)
    return scores


def coverage(subset, mass: dict[str, float], relation: Relation) -> float:
    """``Σ_c m_c · max_{s∈subset} r[c][s]`` (see the module docstring)."""
    return sum(m * max((relation[c].get(s, 0.0) for s in subset), default=0.0) for c, m in mass.items())


def failure_mass(category_frequencies: dict[str, float]) -> dict[str, float]:
    """Frequencies normalised to sum 1, zero categories dropped; {} when there is no failure."""
    for c, f in category_frequencies.items():
        if c not in CATEGORIES:
            raise ConfigError(f"Unknown error category {c!r}; valid: {', '.join(CATEGORIES)}.")
        if f < 0:
            raise ConfigError(f"Negative frequency for {c}: {f}.")
    total = sum(category_frequencies.values())
    if total <= 0:
        return {}
    return {c: category_frequencies[c] / total for c in CATEGORIES if category_frequencies.get(c, 0) > 0}


def select_specialists(
    category_frequencies: dict[str, float],
    relation: Relation,
    coverage_threshold: float = 0.8,
    budget: int = 2,
) -> Selection:
    """The smallest subset (size ≤ ``budget``) whose coverage reaches ``coverage_threshold``.

    Exact search over subsets by increasing size (6 specialists: 64 subsets). Among subsets of the
    smallest size that reach the threshold: higher coverage, then fewer LM-calling specialists (MEM
    needs no LM), then the pool's fixed order. If no subset within the budget reaches it, the best
    one within the budget (same tie-breaks, smaller first) is returned and the explanation says so.
    """
    if not 0.0 <= coverage_threshold <= 1.0:
        raise ConfigError(f"coverage_threshold must be in [0, 1], got {coverage_threshold}.")
    if budget < 0:
        raise ConfigError(f"budget must be >= 0, got {budget}.")
    mass = failure_mass(category_frequencies)
    if not mass:
        return Selection([], 0.0, "No agent-caused failure with a primary error: no specialist is needed.")
    for c in mass:
        if c not in relation:
            raise ConfigError(f"The relation has no row for category {c}.")

    best_overall: tuple | None = None
    for size in range(min(budget, len(SPECIALIST_CODES)) + 1):
        ranked = sorted(
            (_rank(subset, mass, relation), subset) for subset in combinations(SPECIALIST_CODES, size)
        )
        key, subset = ranked[0]
        cov = -key[0]
        if cov + _EPS >= coverage_threshold:
            return Selection(
                list(subset), cov, _explain(subset, cov, mass, relation, coverage_threshold, reached=True)
            )
        # Within one size the ranking already prefers coverage; across sizes, only strictly more wins.
        if best_overall is None or cov > best_overall[1] + _EPS:
            best_overall = (subset, cov)
    subset, cov = best_overall
    return Selection(
        list(subset),
        cov,
        _explain(subset, cov, mass, relation, coverage_threshold, reached=False, budget=budget),
    )


def _rank(subset: tuple[str, ...], mass: dict[str, float], relation: Relation) -> tuple:
    """Sort key, smaller is better: coverage (rounded so float noise cannot break ties), LM calls, pool order."""
    cov = round(coverage(subset, mass, relation), 9)
    lm_calls = sum(s not in LLM_FREE_SPECIALISTS for s in subset)
    return (-cov, lm_calls, [SPECIALIST_CODES.index(s) for s in subset])


def _explain(subset, cov, mass, relation, threshold, reached: bool, budget: int | None = None) -> str:
    parts = []
    for c, m in mass.items():
        best = max(subset, key=lambda s: relation[c].get(s, 0.0), default=None)
        score = relation[c].get(best, 0.0) if best else 0.0
        by = f"{best} ({score:.2f})" if best and score > 0 else "nothing"
        parts.append(f"{c} {m:.0%} covered by {by}")
    chosen = ", ".join(subset) or "no specialist"
    if reached:
        head = (
            f"Smallest set reaching {threshold:.0%} coverage: {chosen} covers {cov:.1%} of the failure mass."
        )
    else:
        head = (
            f"No set of at most {budget} specialists reaches {threshold:.0%} coverage; "
            f"best within the budget: {chosen} with {cov:.1%}."
        )
    return head + " " + "; ".join(parts) + "."


def _check_pair(category: str, code: str) -> None:
    if category not in CATEGORIES:
        raise ConfigError(f"Unknown error category {category!r}; valid: {', '.join(CATEGORIES)}.")
    if code not in SPECIALIST_CODES:
        raise ConfigError(f"Unknown specialist code {code!r}; valid: {', '.join(SPECIALIST_CODES)}.")


def _check_links(links: dict[str, list[str]]) -> None:
    for category, codes in links.items():
        for code in codes:
            _check_pair(category, code)

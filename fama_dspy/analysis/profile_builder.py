"""Aggregate per-episode diagnoses (and re-run evidence) into a ``FailureProfile`` with its selection."""

from __future__ import annotations

from collections.abc import Iterable

from fama_dspy.analysis.credit import FixEvidence, evidence_by_specialist
from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.profile import FailureProfile
from fama_dspy.analysis.selection import (
    Relation,
    coverage,
    failure_mass,
    learn_scores,
    prior_relation,
    select_specialists,
)
from fama_dspy.analysis.taxonomy import CATEGORIES, SPECIALIST_CODES
from fama_dspy.errors import ConfigError


def build_profile(
    diagnoses: Iterable[FailureDiagnosis],
    fix_evidence: FixEvidence | None = None,
    *,
    model: str,
    domain: str,
    split: str = "train",
    trials: int = 1,
    task_ids: list[str] | None = None,
    judge_model: str | None = None,
    coverage_threshold: float = 0.8,
    budget: int = 2,
    prior_weight: float = 2.0,
    prior: Relation | None = None,
    notes: list[str] | None = None,
) -> FailureProfile:
    """Count primary errors over agent-caused failed episodes, learn the relation, select the subset.

    Diagnoses of successful episodes are ignored; non-agent failures are counted and excluded.
    ``task_ids`` defaults to the tasks of the diagnoses, ``judge_model`` to the one they name.
    """
    diagnoses = list(diagnoses)
    other_domains = sorted({d.domain for d in diagnoses if d.domain and d.domain != domain})
    if other_domains:
        raise ConfigError(
            f"A profile is per domain: got diagnoses from {', '.join(other_domains)} for {domain!r}."
        )
    failed = [d for d in diagnoses if d.failed]
    agent = [d for d in failed if d.agent_caused]
    counts = {c: sum(c in d.primary for d in agent) for c in CATEGORIES}
    frequencies = {c: (counts[c] / len(agent) if agent else 0.0) for c in CATEGORIES}

    relation = learn_scores(prior or prior_relation(), fix_evidence, prior_weight)
    selection = select_specialists(frequencies, relation, coverage_threshold, budget)
    mass = failure_mass(frequencies)
    scores = {s: round(coverage((s,), mass, relation), 6) for s in SPECIALIST_CODES}

    all_notes = list(notes or [])
    excluded = [d for d in failed if not d.agent_caused]
    if excluded:
        kinds = sorted({d.non_agent for d in excluded})
        all_notes.append(
            f"{len(excluded)} failed episode(s) excluded as not agent-caused ({', '.join(kinds)})."
        )
    without_primary = sum(not d.primary for d in agent)
    if without_primary:
        all_notes.append(f"{without_primary} agent-caused failure(s) with no primary error identified.")
    unknown = sum(len(d.unknown_categories) for d in agent)
    if unknown:
        all_notes.append(f"{unknown} judge verdict(s) unknown (unparseable output).")
    if not fix_evidence:
        all_notes.append("No re-run evidence: the relation is the prior.")
    if mass and selection.coverage + 1e-9 < coverage_threshold:
        all_notes.append(
            f"Coverage threshold {coverage_threshold:.0%} not reached within a budget of {budget}."
        )

    judges = sorted({d.judge_model for d in failed if d.judge_model})
    if judge_model is None:
        judge_model = ", ".join(judges)
        if len(judges) > 1:
            all_notes.append("Diagnoses came from several judge models.")

    return FailureProfile(
        model=model,
        domain=domain,
        split=split,
        task_ids=task_ids if task_ids is not None else list(dict.fromkeys(d.task_id for d in diagnoses)),
        trials=trials,
        judge_model=judge_model,
        n_failed=len(failed),
        n_excluded_non_agent=len(excluded),
        n_without_primary=without_primary,
        n_unknown_verdicts=unknown,
        category_counts=counts,
        category_frequencies={c: round(f, 6) for c, f in frequencies.items()},
        relation={c: {s: round(v, 6) for s, v in row.items()} for c, row in relation.items()},
        specialist_scores=scores,
        evidence=evidence_by_specialist(fix_evidence),
        prior_weight=prior_weight,
        coverage_threshold=coverage_threshold,
        budget=budget,
        recommended=selection.subset,
        coverage=round(selection.coverage, 6),
        explanation=selection.explanation,
        notes=all_notes,
    )

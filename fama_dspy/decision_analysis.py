"""Failure analysis of a decision-level run, with counterfactual credit: which specialist flips which point.

1. **Diagnosis by rules.** Each wrong decision is diagnosed against its gold action without an LLM
   (``optimizers.metric.diagnose``: acting before a lookup or confirmation → DPV, a wrong value that
   appears in a tool output → WRCO, an invented tool or value → CM, talking or stopping instead of
   acting → IFU).
2. **Counterfactual re-runs.** At decision level a re-run is cheap: up to ``budget`` failed points
   are asked again with each candidate specialist alone (and, given a current subset, that subset
   plus the candidate). A re-run that makes the point exact is a *fix* credited to the point's
   primary categories and that specialist (``analysis.credit``).
3. **Profile.** The category × specialist relation is learned from those credits (per pair, the
   prior blended with the re-runs at ``prior_weight`` re-runs' worth; the prior alone where a pair
   was not tried) and the minimal subset is chosen on it, so the recommendation rests on what was
   measured to flip this model's decisions, not on the prior alone. The flips are kept
   in the profile's notes and in ``<run>/counterfactual.jsonl`` (one row per re-run, resumable).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fama_dspy.analysis.diagnosis import CategoryVerdict, FailureDiagnosis
from fama_dspy.analysis.profile import FailureProfile
from fama_dspy.analysis.profile_builder import build_profile
from fama_dspy.analysis.taxonomy import SPECIALIST_CODES

COUNTERFACTUAL_FILE = "counterfactual.jsonl"
#: How a profile's notes say that its counterfactual re-runs flipped nothing.
NO_FLIP_NOTE = "no re-run flipped a point"


def no_flip_note(notes: Sequence[str]) -> str | None:
    """The note of a profile whose counterfactual re-runs flipped nothing, if it has one."""
    return next((note for note in notes if note.startswith(NO_FLIP_NOTE)), None)


def diagnose_decision_failures(
    records: list[dict], points: dict[str, Any], domain: str
) -> list[FailureDiagnosis]:
    """One ``FailureDiagnosis`` per wrong decision, its category decided by rules (no LLM)."""
    from fama_dspy.optimizers.metric import diagnose
    from fama_dspy.signatures.action import AgentAction

    diagnoses = []
    for record in records:
        if record.get("exact_ok"):
            continue
        point = points[record["point_id"]]
        action = AgentAction.model_validate(record["action"]) if record.get("action") else None
        found = diagnose(
            action,
            {"state": point.state, "gold": point.gold, "compare_args": point.compare_args},
            fallback=bool((record.get("info") or {}).get("fallback")),
        )
        verdicts = {}
        if found.category is not None:
            verdicts[found.category] = CategoryVerdict(occurred=True, rationale=found.feedback, source="rule")
        diagnoses.append(
            FailureDiagnosis(
                task_id=record["point_id"],
                domain=domain,
                verdicts=verdicts,
                primary=[found.category] if found.category else [],
                primary_rationale=found.kind,
                judge_model="rules (decision-level diagnosis)",
                shortcuts=[f"decision rule: {found.kind}"],
            )
        )
    return diagnoses


def linked_specialists(diagnoses: Sequence[FailureDiagnosis]) -> list[str]:
    """The specialists the prior links to the diagnosed categories (the usual counterfactual candidates)."""
    from fama_dspy.analysis.selection import ERROR_TO_SPECIALISTS
    from fama_dspy.specialists import normalize_codes

    linked = {code for d in diagnoses for c in d.primary for code in ERROR_TO_SPECIALISTS.get(c, [])}
    return list(normalize_codes(linked))


def counterfactual_reruns(
    diagnoses: Sequence[FailureDiagnosis],
    points: dict[str, Any],
    agent_for: Any,
    out: Path | str,
    *,
    budget: int,
    candidates: Sequence[str] = SPECIALIST_CODES,
    current: Sequence[str] = (),
    concurrency: int = 1,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Re-ask up to ``budget`` diagnosed points with each candidate; one row per re-run.

    ``agent_for(codes)`` builds the agent to ask (e.g. ``build_agent("fama", specialists=codes)``).
    Rows already in ``<out>/counterfactual.jsonl`` are reused, so an interrupted analysis resumes.
    ``concurrency`` points are re-asked at once, each point's candidates in turn (rows keep point ×
    candidate order).
    """
    from fama_dspy.progress import RunProgress
    from fama_dspy.results.decisions import score_action
    from fama_dspy.results.records import JsonlAppender, read_jsonl

    path = Path(out) / COUNTERFACTUAL_FILE
    done = {(r["point_id"], r["specialist"], tuple(r.get("with", []))): r for r in read_jsonl(path)}
    appender = JsonlAppender(path)
    chosen = [d for d in diagnoses if d.agent_caused and d.primary][: max(budget, 0)]
    jobs = []
    for d in chosen:
        point = points[d.task_id]
        for code in candidates:
            subset = tuple(dict.fromkeys([*current, code]))
            jobs.append((d, point, code, subset, (point.id, code, tuple(c for c in subset if c != code))))

    def rerun(d, point, code, subset, key) -> dict[str, Any]:
        if key in done:
            return done[key]
        pred = agent_for(list(subset))(state=point.state)
        score = score_action(pred.action, point)
        row = {
            "point_id": point.id,
            "task_id": point.id,
            "categories": list(d.primary),
            "specialist": code,
            "with": list(key[2]),
            "fixed": score.exact_ok,
            "name_ok": score.name_ok,
            "action": pred.action.model_dump(),
        }
        appender.append(row)
        bar.advance(bar_task)
        return row

    todo = sum(1 for job in jobs if job[4] not in done)
    bar = RunProgress.counting(disable=not progress or not todo)
    with bar:
        bar_task = bar.add_task("counterfactual re-runs", total=todo)
        return _rerun_jobs(jobs, rerun, concurrency)


def _rerun_jobs(jobs: list[tuple], rerun: Any, concurrency: int) -> list[dict[str, Any]]:
    from fama_dspy.parallel import map_in_context

    if concurrency <= 1 or len(jobs) <= 1:
        return [rerun(*job) for job in jobs]
    # One worker re-asks all candidates of a point in turn: the prompts share the point's
    # conversation, which the server then serves from its cache instead of prefilling it again.
    by_point: dict[str, list[int]] = {}
    for index, job in enumerate(jobs):
        by_point.setdefault(job[1].id, []).append(index)

    def rerun_all(indices: list[int]) -> list[tuple[int, dict[str, Any]]]:
        return [(i, rerun(*jobs[i])) for i in indices]

    pairs = map_in_context(rerun_all, list(by_point.values()), concurrency)
    return [row for _, row in sorted(pair for group in pairs for pair in group)]


def counterfactual_profile(
    records: list[dict],
    points: dict[str, Any],
    agent_for: Any,
    out: Path | str,
    *,
    domain: str,
    model: str,
    budget: int,
    candidates: Sequence[str] = SPECIALIST_CODES,
    current: Sequence[str] = (),
    coverage_threshold: float = 0.8,
    max_specialists: int = 2,
    prior_weight: float = 2.0,
    concurrency: int = 1,
) -> tuple[FailureProfile, list[dict[str, Any]]]:
    """Diagnose the run's wrong decisions, re-run ``budget`` of them per candidate, build the profile.

    ``prior_weight``: how many re-runs the prior relation is worth per (category, specialist) pair
    (``analysis.selection.learn_scores``); 0 lets the re-runs alone decide wherever a pair was tried.
    """
    from fama_dspy.analysis.credit import fix_evidence_from_reruns

    diagnoses = diagnose_decision_failures(records, points, domain)
    rows = (
        counterfactual_reruns(
            diagnoses,
            points,
            agent_for,
            out,
            budget=budget,
            candidates=candidates,
            current=current,
            concurrency=concurrency,
        )
        if budget > 0
        else []
    )
    flips: dict[str, int] = {}
    for r in rows:
        flips[r["specialist"]] = flips.get(r["specialist"], 0) + int(bool(r["fixed"]))
    tried = len({r["point_id"] for r in rows})
    notes = [f"decision-level analysis: {len(records)} answers, {len(diagnoses)} wrong"]
    if rows:
        notes.append(
            f"counterfactual re-runs on {tried} failed points: points flipped to exact per specialist "
            + json.dumps(flips, sort_keys=True)
        )
        if not any(flips.values()):
            # Zero flips lower every specialist tried on a category by the same factor, so the
            # ranking stays the prior's while the coverage threshold may drop out of reach (the
            # selection then fills the budget): say so rather than let it read as measured.
            notes.append(
                f"{NO_FLIP_NOTE} ({len(rows)} re-runs): every specialist tried on a category is "
                "lowered alike, so the ranking is the prior's and the subset is not a measured choice"
            )
    profile = build_profile(
        diagnoses,
        fix_evidence_from_reruns(rows) if rows else None,
        model=model,
        domain=domain,
        split="train",
        task_ids=sorted({p.task_id for p in points.values()}),
        judge_model="rules (decision-level diagnosis)",
        coverage_threshold=coverage_threshold,
        budget=max_specialists,
        prior_weight=prior_weight,
        notes=notes,
    )
    left_out = [
        c for c, n in sorted(flips.items(), key=lambda kv: -kv[1]) if n and c not in profile.recommended
    ]
    if left_out and prior_weight > 0:
        # Thin evidence against a prior worth several re-runs per pair: say why a specialist that
        # flipped points is not chosen, and how to let the evidence decide.
        flipped = ", ".join(f"{c} {flips[c]}" for c in left_out)
        profile.notes.append(
            f"flipped points but not in the subset: {flipped} (of {tried} points); with the prior worth "
            f"{prior_weight:g} re-runs per (category, specialist) pair these re-runs do not outweigh it; "
            "--prior-weight 0 lets the re-runs alone decide where a pair was tried"
        )
    return profile, rows

"""Failure analysis of a user's own program (``FamaReAct``) from its traces and the user's metric.

No benchmark is needed: a trace whose metric score is below ``threshold`` is a failure, and its
evidence comes from the trace itself, without an LLM — calls refused before they ran (unknown tool,
arguments against the schema), tools that raised, repeated identical calls, the step budget
running out, decisions that fell back or failed to parse. Then either the category judges decide
(``judges=True``: the same ``FailureAnalyzer`` as for benchmark runs) or documented rules do:

- a call refused for its tool or arguments → CM (invented tool or arguments);
- the step budget ran out, the same call repeated, or it stopped without any tool call → IFU;
- otherwise no primary error (a judge is needed to tell).

The diagnoses become a ``FailureProfile`` whose ``recommended`` subset ``FamaReAct(profile=...)``
takes, exactly as for a benchmark domain (the profile's domain is the program's name).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import dspy

from fama_dspy.analysis.diagnosis import CategoryVerdict, FailureDiagnosis
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.analysis.profile import FailureProfile
from fama_dspy.analysis.profile_builder import build_profile

REFUSED_PREFIXES = ("Error: Unknown tool", "Error: Invalid arguments", "Error: The tool name is empty")


def _steps(pred: Any) -> list[tuple[str, dict, str]]:
    trajectory = getattr(pred, "trajectory", None) or {}
    n = len({k.rsplit("_", 1)[1] for k in trajectory})
    return [
        (
            trajectory.get(f"tool_name_{i}", ""),
            trajectory.get(f"tool_args_{i}", {}),
            str(trajectory.get(f"observation_{i}", "")),
        )
        for i in range(n)
    ]


def trace_evidence(pred: Any, score: float, task_id: str, name: str) -> FailureEvidence:
    """What the trace itself shows (see the module docstring), as benchmark-neutral evidence."""
    steps = _steps(pred)
    refused = [obs for _, _, obs in steps if obs.startswith(REFUSED_PREFIXES)]
    errors = [obs for _, _, obs in steps if obs.startswith("Error:") and obs not in refused]
    decisions = getattr(pred, "decisions", None) or []
    messages = list(getattr(pred, "messages", None) or [])
    ticket = getattr(pred, "ticket", None)
    if ticket:
        messages = [{"role": "user", "content": ticket}, *messages]
    return FailureEvidence.from_dict(
        {
            "task_id": task_id,
            "domain": name,
            "reward": float(score),
            "termination_reason": str(getattr(pred, "status", "")),
            "tool_errors": errors,
            "invalid_actions": len(refused),
            "rejected_actions": refused,
            "parse_failures": sum(int(d.get("parse_failures") or 0) for d in decisions),
            "fallbacks": sum(1 for d in decisions if d.get("fallback")),
            "messages": messages,
        }
    )


def _repeats(pred: Any) -> bool:
    calls = [(n, json.dumps(a, sort_keys=True, default=str)) for n, a, _ in _steps(pred)]
    return any(a == b for a, b in pairwise(calls))


def diagnose_by_rules(pred: Any, evidence: FailureEvidence) -> FailureDiagnosis:
    """A failed trace's diagnosis from the rules of the module docstring (no LLM)."""
    steps = _steps(pred)
    verdicts: dict[str, CategoryVerdict] = {}
    if evidence.invalid_actions:
        verdicts["CM"] = CategoryVerdict(
            occurred=True,
            source="rule",
            rationale=f"{evidence.invalid_actions} call(s) refused for tool or arguments",
        )
    stopped = [
        why
        for why, hit in (
            ("the step budget ran out", evidence.termination_reason == "max_iters"),
            ("the same call was repeated", _repeats(pred)),
            ("it finished without calling any tool", bool(steps) and steps[0][0] == "done"),
        )
        if hit
    ]
    if stopped:
        verdicts["IFU"] = CategoryVerdict(occurred=True, source="rule", rationale="; ".join(stopped))
    primary = [c for c in ("CM", "IFU") if c in verdicts][:1]
    return FailureDiagnosis(
        task_id=evidence.task_id,
        domain=evidence.domain,
        verdicts=verdicts,
        primary=primary,
        primary_rationale=verdicts[primary[0]].rationale if primary else "no rule decides; a judge is needed",
        judge_model="rules (program traces)",
        shortcuts=[f"{c}: {v.rationale}" for c, v in verdicts.items()],
    )


def analyze_program(
    program: dspy.Module,
    examples: Sequence[dspy.Example],
    metric: Callable[[dspy.Example, Any], Any],
    *,
    name: str = "program",
    model: str = "",
    threshold: float = 1.0,
    judges: bool = False,
    judge_lm: dspy.LM | None = None,
    policy: str = "",
    coverage_threshold: float = 0.8,
    budget: int = 2,
) -> FailureProfile:
    """Run ``program`` on ``examples``, score each with the user's ``metric``, diagnose the failures
    (rules, or the LLM judges with ``judges=True``, on ``judge_lm`` if given) and build the program's
    failure profile."""
    diagnoses = []
    analyzer = None
    if judges:
        from fama_dspy.analysis.judges import FailureAnalyzer

        analyzer = FailureAnalyzer(detect_non_agent=False)
    for i, example in enumerate(examples):
        pred = program(**example.inputs())
        raw = metric(example, pred)
        score = float(getattr(raw, "score", raw))
        task_id = str(getattr(example, "id", None) or i)
        evidence = trace_evidence(pred, 1.0 if score >= threshold else score, task_id, name)
        if evidence.succeeded:
            diagnoses.append(FailureDiagnosis(task_id=task_id, domain=name, failed=False))
        elif analyzer is not None:
            with dspy.context(lm=judge_lm or dspy.settings.lm):
                diagnoses.append(analyzer(evidence=evidence, policy=policy or getattr(program, "policy", "")))
        else:
            diagnoses.append(diagnose_by_rules(pred, evidence))
    return build_profile(
        diagnoses,
        model=model or str(getattr(dspy.settings.lm, "model", "") or ""),
        domain=name,
        split="traces",
        task_ids=[d.task_id for d in diagnoses],
        judge_model="LLM judges" if judges else "rules (program traces)",
        coverage_threshold=coverage_threshold,
        budget=budget,
        notes=[f"{len(examples)} traces of {name} scored by the user's metric (threshold {threshold:g})"],
    )

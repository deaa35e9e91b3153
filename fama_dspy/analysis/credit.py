"""The learning step's data core: which failed episodes to re-run with which specialist, and what the
re-runs say about each (error category, specialist) pair.

Credit rule: a re-run of an episode whose primary errors were {c1, c2} with specialist s counts as
one trial of (c1, s) and one of (c2, s), and as a fix of both when the task then succeeds. The
judges cannot say which of two primary errors a specialist removed, and splitting a fix into
fractions would pretend otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.selection import ERROR_TO_SPECIALISTS
from fama_dspy.analysis.taxonomy import CATEGORIES, SPECIALIST_CODES
from fama_dspy.errors import ConfigError

FixEvidence = dict[tuple[str, str], tuple[int, int]]
_REQUIRED = ("task_id", "categories", "specialist", "fixed")


def candidate_reruns(
    diagnoses: Iterable[FailureDiagnosis],
    links: dict[str, list[str]] = ERROR_TO_SPECIALISTS,
    max_per_episode: int | None = None,
) -> list[dict[str, Any]]:
    """One row per (agent-caused failed episode, specialist linked to one of its primary errors):
    ``{"task_id", "trial", "categories", "specialist"}``. The harness re-runs each and adds ``fixed``."""
    rows = []
    for d in diagnoses:
        if not d.agent_caused or not d.primary:
            continue
        linked = {s for c in d.primary for s in links.get(c, [])}
        codes = [s for s in SPECIALIST_CODES if s in linked][:max_per_episode]
        rows.extend(
            {"task_id": d.task_id, "trial": d.trial, "categories": list(d.primary), "specialist": s}
            for s in codes
        )
    return rows


def fix_evidence_from_reruns(reruns: Iterable[dict[str, Any]]) -> FixEvidence:
    """(category, specialist) → (tried, fixed) from re-run rows ``{"task_id", "categories", "specialist", "fixed"}``."""
    counts: dict[tuple[str, str], list[int]] = {}
    for index, row in enumerate(reruns):
        missing = [k for k in _REQUIRED if k not in row]
        if missing:
            raise ConfigError(f"Re-run row {index} lacks {', '.join(missing)}: {row!r}.")
        code = str(row["specialist"]).strip().lower()
        if code not in SPECIALIST_CODES:
            raise ConfigError(f"Re-run row {index}: unknown specialist {row['specialist']!r}.")
        categories = row["categories"]
        if isinstance(categories, str):
            categories = [categories]
        for category in dict.fromkeys(categories):
            if category not in CATEGORIES:
                raise ConfigError(f"Re-run row {index}: unknown error category {category!r}.")
            tally = counts.setdefault((category, code), [0, 0])
            tally[0] += 1
            tally[1] += int(bool(row["fixed"]))
    return {pair: (tried, fixed) for pair, (tried, fixed) in counts.items()}


def evidence_by_specialist(fix_evidence: FixEvidence | None) -> dict[str, dict[str, int]]:
    """Per specialist, the (category, re-run) credits its learned scores rest on, summed over categories."""
    out = {s: {"tried": 0, "fixed": 0} for s in SPECIALIST_CODES}
    for (_category, code), (tried, fixed) in (fix_evidence or {}).items():
        if code not in out:
            raise ConfigError(f"Unknown specialist code {code!r} in fix evidence.")
        out[code]["tried"] += tried
        out[code]["fixed"] += fixed
    return out

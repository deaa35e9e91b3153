"""Rule shortcuts: cases where the benchmark's evidence decides a verdict, so no LM call is made.

Each rule is decisive by construction, never a guess:
- a successful episode (reward 1) is not a failure: nothing is judged;
- ``user_in_role is False`` (the harness's per-episode role check failed) → ``user_drift``;
- termination by ``user_error`` (the user simulator itself crashed) → ``user_drift``;
- WRCO needs a tool output to misread: a complete transcript (no turns omitted) with no tool
  result → WRCO did not occur.
"""

from __future__ import annotations

from fama_dspy.analysis.condense import OMITTED_MARK, TOOL_ERROR_TAG, TOOL_RESULT_TAG
from fama_dspy.analysis.diagnosis import CategoryVerdict
from fama_dspy.analysis.evidence import FailureEvidence


def non_agent_by_rule(evidence: FailureEvidence) -> tuple[str, str] | None:
    """(kind, rationale) when the evidence alone shows a non-agent failure, else None."""
    if evidence.user_in_role is False:
        return "user_drift", "The per-episode role check found the simulated user out of its role."
    if evidence.termination_reason.lower() == "user_error":
        return "user_drift", "The episode ended because the user simulator failed."
    return None


def category_by_rule(category: str, evidence: FailureEvidence) -> CategoryVerdict | None:
    """A verdict the evidence decides without a judge, else None."""
    transcript = evidence.condensed_trajectory
    if (
        category == "WRCO"
        and transcript
        and OMITTED_MARK not in transcript
        and not any(f"] {tag} (" in transcript for tag in (TOOL_RESULT_TAG, TOOL_ERROR_TAG))
    ):
        return CategoryVerdict(
            occurred=False, rationale="No tool output was retrieved, so none could be misread.", source="rule"
        )
    return None

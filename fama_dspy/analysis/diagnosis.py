"""The outcome of Stage 1 analysis for one failed episode: per-category verdicts and the primary error(s)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from fama_dspy.analysis.taxonomy import ErrorCategory, NonAgentKind

#: Where a verdict came from: an LM judge, a documented rule (no LM call), or an unparseable judge output.
VerdictSource = Literal["judge", "rule", "parse_failure"]


class CategoryVerdict(BaseModel):
    """One judge's answer. ``occurred`` is None when the judge's output could not be parsed (unknown)."""

    occurred: bool | None
    rationale: str = ""
    evidence_turns: list[int] = []
    #: The agent corrected the error itself later, so it did not cause the failure.
    recovered: bool = False
    source: VerdictSource = "judge"


class FailureDiagnosis(BaseModel):
    task_id: str
    trial: int = 0
    domain: str = ""
    #: False for an episode that succeeded (nothing was judged).
    failed: bool = True
    non_agent: NonAgentKind = "none"
    non_agent_rationale: str = ""
    #: Empty for non-agent failures decided by rule (the judges are skipped).
    verdicts: dict[ErrorCategory, CategoryVerdict] = {}
    primary: list[ErrorCategory] = []
    primary_rationale: str = ""
    judge_model: str = ""
    #: LM outputs that could not be parsed (judges, detector, primary selector).
    parse_failures: int = 0
    #: Rules that replaced an LM call, in words.
    shortcuts: list[str] = []

    @property
    def agent_caused(self) -> bool:
        """A failure the profile learns from: failed, and not blamed on the user simulator or the task."""
        return self.failed and self.non_agent == "none"

    @property
    def unknown_categories(self) -> list[str]:
        return [c for c, v in self.verdicts.items() if v.occurred is None]

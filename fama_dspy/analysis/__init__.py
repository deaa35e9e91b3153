"""FAMA Stage 1, benchmark-neutral: judge failed episodes, aggregate a failure profile per
(model, domain), and select the smallest specialist subset that covers it.

The harness turns benchmark records into ``FailureEvidence``; everything here works on plain data.
"""

from fama_dspy.analysis.credit import candidate_reruns, evidence_by_specialist, fix_evidence_from_reruns
from fama_dspy.analysis.diagnosis import CategoryVerdict, FailureDiagnosis
from fama_dspy.analysis.evidence import FailureEvidence, condense_trajectory
from fama_dspy.analysis.judges import (
    CategoryJudge,
    FailureAnalyzer,
    NonAgentFailureDetector,
    PrimaryErrorSelector,
)
from fama_dspy.analysis.profile import FailureProfile
from fama_dspy.analysis.profile_builder import build_profile
from fama_dspy.analysis.selection import (
    ERROR_TO_SPECIALISTS,
    Selection,
    learn_scores,
    prior_relation,
    select_specialists,
)

__all__ = [
    "ERROR_TO_SPECIALISTS",
    "CategoryJudge",
    "CategoryVerdict",
    "FailureAnalyzer",
    "FailureDiagnosis",
    "FailureEvidence",
    "FailureProfile",
    "NonAgentFailureDetector",
    "PrimaryErrorSelector",
    "Selection",
    "build_profile",
    "candidate_reruns",
    "condense_trajectory",
    "evidence_by_specialist",
    "fix_evidence_from_reruns",
    "learn_scores",
    "prior_relation",
    "select_specialists",
]

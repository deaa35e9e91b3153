"""The FAMA vocabulary shared by the analysis modules: error categories and specialist codes (docs/design.md §2–§3).

The specialist facts come from the specialist registry; this module only names them for analysis.
"""

from __future__ import annotations

from typing import Literal, get_args

from fama_dspy.signatures.judges import ErrorCategory, NonAgentKind
from fama_dspy.specialists.registry import LLM_FREE_SPECIALISTS, SPECIALIST_CODES

CATEGORIES: tuple[str, ...] = get_args(ErrorCategory)
NON_AGENT_KINDS: tuple[str, ...] = get_args(NonAgentKind)

# A static type needs literal values, so the codes are spelled out here; a test keeps them equal to
# the registry's SPECIALIST_CODES (the pool in its fixed order, the last tie-break of the selection).
SpecialistCode = Literal["dce", "tsa", "tor", "pln", "ver", "mem"]

__all__ = [
    "CATEGORIES",
    "LLM_FREE_SPECIALISTS",
    "NON_AGENT_KINDS",
    "SPECIALIST_CODES",
    "ErrorCategory",
    "NonAgentKind",
    "SpecialistCode",
]

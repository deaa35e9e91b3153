"""The FAMA vocabulary shared by the analysis modules: error categories and specialist codes (docs/design.md §2–§3)."""

from __future__ import annotations

from typing import Literal, get_args

from fama_dspy.signatures.judges import ErrorCategory, NonAgentKind

CATEGORIES: tuple[str, ...] = get_args(ErrorCategory)
NON_AGENT_KINDS: tuple[str, ...] = get_args(NonAgentKind)

SpecialistCode = Literal["dce", "tsa", "tor", "pln", "ver", "mem"]
#: The pool in its fixed order (the last tie-break of the selection).
SPECIALIST_CODES: tuple[str, ...] = get_args(SpecialistCode)
#: Specialists that run without an LM call, so they cost (almost) nothing at decision time.
LLM_FREE_SPECIALISTS: frozenset[str] = frozenset({"mem"})

__all__ = [
    "CATEGORIES",
    "LLM_FREE_SPECIALISTS",
    "NON_AGENT_KINDS",
    "SPECIALIST_CODES",
    "ErrorCategory",
    "NonAgentKind",
    "SpecialistCode",
]

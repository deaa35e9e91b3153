"""The FAMA specialist pool: each specialist is a small DSPy module that writes one context section.

Each specialist declares its facts (code, title, LM use, gating, the errors it mitigates, its
tunable settings) on its class; ``registry`` lists the classes in injection order and derives the
lookups. ``SPECIALISTS`` maps each code to its class, in that order.
"""

from fama_dspy.specialists.base import LMSpecialist, Specialist
from fama_dspy.specialists.constraints import DomainConstraintExtractor
from fama_dspy.specialists.memory import RequestMemory
from fama_dspy.specialists.planner import Planner
from fama_dspy.specialists.registry import REGISTRY, SPECIALISTS, TUNABLES, Registry, normalize_codes
from fama_dspy.specialists.tool_output import ToolOutputReformatter
from fama_dspy.specialists.tool_suggester import ToolSuggester
from fama_dspy.specialists.tunable import Tunable
from fama_dspy.specialists.verifier import ActionVerifier

__all__ = [
    "REGISTRY",
    "SPECIALISTS",
    "TUNABLES",
    "ActionVerifier",
    "DomainConstraintExtractor",
    "LMSpecialist",
    "Planner",
    "Registry",
    "RequestMemory",
    "Specialist",
    "ToolOutputReformatter",
    "ToolSuggester",
    "Tunable",
    "normalize_codes",
]

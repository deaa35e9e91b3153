"""The FAMA specialist pool: each specialist is a small DSPy module that writes one context section.

``SPECIALISTS`` maps each code to its class; its order is the order in which sections are injected.
"""

from fama_dspy.errors import ConfigError
from fama_dspy.specialists.constraints import DomainConstraintExtractor
from fama_dspy.specialists.memory import RequestMemory
from fama_dspy.specialists.planner import Planner
from fama_dspy.specialists.tool_output import ToolOutputReformatter
from fama_dspy.specialists.tool_suggester import ToolSuggester
from fama_dspy.specialists.verifier import ActionVerifier

SPECIALISTS = {
    "dce": DomainConstraintExtractor,
    "tsa": ToolSuggester,
    "tor": ToolOutputReformatter,
    "pln": Planner,
    "ver": ActionVerifier,
    "mem": RequestMemory,
}


def normalize_codes(codes) -> tuple[str, ...]:
    """Registry codes in registry order, from any iterable of codes in any case (or one comma-separated string)."""
    if isinstance(codes, str):
        codes = [c for c in codes.split(",") if c.strip()]
    wanted = {str(c).strip().lower() for c in codes}
    unknown = sorted(wanted - SPECIALISTS.keys())
    if unknown:
        raise ConfigError(
            f"Unknown specialist code(s) {', '.join(unknown)}; valid codes: {', '.join(SPECIALISTS)}."
        )
    return tuple(c for c in SPECIALISTS if c in wanted)


__all__ = [
    "SPECIALISTS",
    "ActionVerifier",
    "DomainConstraintExtractor",
    "Planner",
    "RequestMemory",
    "ToolOutputReformatter",
    "ToolSuggester",
    "normalize_codes",
]

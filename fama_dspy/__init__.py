"""fama-dspy: Failure-Aware Meta-Agentic (FAMA) tool-calling agents for small open LLMs, in DSPy.

The public API, importable from the package root::

    from fama_dspy import FamaAgent, FamaReAct, ToolUseAgent, build_agent, make_lm
    from fama_dspy import DecisionState, Message, ToolSpec, AgentAction
    from fama_dspy import FailureProfile, load_program
"""

import os
from importlib import import_module

# Offline by default: LiteLLM otherwise fetches its model cost map from the network at import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"

# name -> module; resolved on first access so `fama serve` and `import fama_dspy` stay light.
_EXPORTS = {
    "FamaAgent": "fama_dspy.fama_agent",
    "ToolUseAgent": "fama_dspy.agent",
    "FamaReAct": "fama_dspy.react",
    "build_agent": "fama_dspy.configs",
    "make_lm": "fama_dspy.lm",
    "DecisionState": "fama_dspy.conversation",
    "Message": "fama_dspy.conversation",
    "ToolSpec": "fama_dspy.conversation",
    "ToolCall": "fama_dspy.conversation",
    "AgentAction": "fama_dspy.signatures.action",
    "SPECIALISTS": "fama_dspy.specialists",
    "FailureProfile": "fama_dspy.analysis.profile",
    "load_program": "fama_dspy.optimizers.program",
}

__all__ = [
    "SPECIALISTS",
    "AgentAction",
    "DecisionState",
    "FailureProfile",
    "FamaAgent",
    "FamaReAct",
    "Message",
    "ToolCall",
    "ToolSpec",
    "ToolUseAgent",
    "__version__",
    "build_agent",
    "load_program",
    "make_lm",
]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'fama_dspy' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

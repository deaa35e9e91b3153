"""fama-dspy: Failure-Aware Meta-Agentic (FAMA) tool-calling agents for small open LLMs, in DSPy."""

import os

# Offline by default: LiteLLM otherwise fetches its model cost map from the network at import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"

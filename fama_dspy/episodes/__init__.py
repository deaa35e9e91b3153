"""Benchmark-neutral episodes: an agent driven through a tool environment (and a simulated customer).

``AgentDriver`` keeps the agent's view, validates each action before it runs, re-asks on an
invalid one and falls back safely; ``run_tool_episode`` alternates the driver with a
``ToolEnvironment`` (and, in interactive mode, a ``CustomerSide``) until the agent stops, the
customer ends, or the step limit. Benchmarks without their own orchestrator (ACEBench, τ-trait)
run on these; τ²'s adapter shares the driver's decision step.
"""

from fama_dspy.episodes.driver import DEFAULT_MAX_REASKS, FALLBACK_MESSAGE, AgentDriver
from fama_dspy.episodes.loop import (
    CustomerSide,
    EpisodeTrace,
    SimulatedCustomer,
    ToolEnvironment,
    ToolResult,
    run_tool_episode,
)

__all__ = [
    "DEFAULT_MAX_REASKS",
    "FALLBACK_MESSAGE",
    "AgentDriver",
    "CustomerSide",
    "EpisodeTrace",
    "SimulatedCustomer",
    "ToolEnvironment",
    "ToolResult",
    "run_tool_episode",
]

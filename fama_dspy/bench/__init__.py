"""The bench as a library: a plan of agent configurations run on the same tasks, points, trials and seeds.

``run_bench(BenchPlan(...), out, lm)`` runs (or resumes) every configuration into one run
directory and writes the report; ``parse_configs`` reads the ``--configs`` mini-language;
``resolve_agent(AgentSpec(...))`` builds one named configuration. ``fama bench`` and ``fama demo``
are thin callers of these.
"""

from fama_dspy.bench.agents import AgentChoice, AgentSpec, resolve_agent
from fama_dspy.bench.configs import ConfigSpec, parse_config_spec, parse_configs, parse_modes
from fama_dspy.bench.plan import BenchPlan, BenchResult, lm_label
from fama_dspy.bench.run import run_bench

__all__ = [
    "AgentChoice",
    "AgentSpec",
    "BenchPlan",
    "BenchResult",
    "ConfigSpec",
    "lm_label",
    "parse_config_spec",
    "parse_configs",
    "parse_modes",
    "resolve_agent",
    "run_bench",
]

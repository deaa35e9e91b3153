"""τ²-bench as a fama-dspy benchmark: the only package in fama-dspy that imports ``tau2``.

- ``Tau2Benchmark`` (``benchmark.py``): the ``Benchmark`` protocol over the modules below;
- ``run_episodes``: agents (fama-dspy, τ²'s reference agent, gold replay) through τ²'s
  orchestrator and evaluator, one JSON line per episode, resumable;
- ``iter_decision_points``: the gold decision points of τ² tasks (scored by
  ``fama_dspy.results.decisions``);
- ``analyze_run``: the failure analysis of a τ² run (evidence, judges, profile).

Importing this package imports τ², and τ² must be imported through ``install_quiet_tau2_logging``
(its import dumps the registry and its runner replaces the process's log sinks), so this
``__init__`` does that first; nothing outside this package imports it.
"""

from fama_dspy.benchmarks.tau2.tau2_logging import install_quiet_tau2_logging

install_quiet_tau2_logging()

from fama_dspy.benchmarks.tau2.benchmark import Tau2Benchmark, register_with_tau2
from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points
from fama_dspy.benchmarks.tau2.runner import run_episodes
from fama_dspy.benchmarks.tau2.tasks import DOMAINS, SOLO_DOMAINS, load_tasks

__all__ = [
    "DOMAINS",
    "SOLO_DOMAINS",
    "Tau2Benchmark",
    "iter_decision_points",
    "load_tasks",
    "register_with_tau2",
    "run_episodes",
]

"""τ-trait as a fama-dspy benchmark, read from the user's checkout (``--data-dir`` or ``FAMA_TAU_TRAIT_DIR``).

- ``TauTraitBenchmark`` (``benchmark.py``): the ``Benchmark`` protocol over the modules below;
- ``loader`` / ``data`` / ``tasks``: a domain's policy, tools, data and tasks, and the splits;
- ``tools`` / ``environment`` / ``reward``: tool specs, tool calls by name, τ-trait's reward;
- ``customers`` / ``gold`` / ``episodes`` / ``runner``: episodes on the benchmark-neutral loop;
- ``decision_points``, ``evidence``, ``analyze``: gold decision points, failure evidence, Stage 1.

Importing this package imports nothing from the checkout.
"""

from fama_dspy.benchmarks.tau_trait.benchmark import TauTraitBenchmark

__all__ = ["TauTraitBenchmark"]

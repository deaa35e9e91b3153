"""Benchmarks behind one interface (``base.Benchmark``), looked up by name (``registry``).

Importing this package loads no benchmark: ``get_benchmark("tau2")`` imports τ²-bench the
first time a τ² run needs it.
"""

from fama_dspy.benchmarks.base import Benchmark, EpisodeRequest
from fama_dspy.benchmarks.registry import (
    DEFAULT_BENCHMARK,
    available_benchmarks,
    get_benchmark,
    register_benchmark,
)

__all__ = [
    "DEFAULT_BENCHMARK",
    "Benchmark",
    "EpisodeRequest",
    "available_benchmarks",
    "get_benchmark",
    "register_benchmark",
]

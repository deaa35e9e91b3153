"""Benchmarks by name, loaded on first use (the pattern of τ²'s own registry).

Entries are ``"module:Class"`` strings, so importing the registry imports no benchmark package;
``get_benchmark`` imports the implementation the first time it is asked for and keeps the
instance. ``register_benchmark`` adds a user's own implementation (any object that satisfies
``base.Benchmark``).
"""

from __future__ import annotations

import importlib
import threading

from fama_dspy.benchmarks.base import Benchmark
from fama_dspy.errors import ConfigError

DEFAULT_BENCHMARK = "tau2"

_ENTRIES: dict[str, str] = {
    "tau2": "fama_dspy.benchmarks.tau2.benchmark:Tau2Benchmark",
    "tau-trait": "fama_dspy.benchmarks.tau_trait.benchmark:TauTraitBenchmark",
    "acebench": "fama_dspy.benchmarks.acebench.benchmark:AceBenchmark",
}
_INSTANCES: dict[str, Benchmark] = {}
_LOCK = threading.Lock()


def available_benchmarks() -> list[str]:
    return sorted(set(_ENTRIES) | set(_INSTANCES))


def register_benchmark(name: str, benchmark: Benchmark | str) -> None:
    """Register an instance, or a ``"module:Class"`` path loaded on first use."""
    with _LOCK:
        if isinstance(benchmark, str):
            _ENTRIES[name] = benchmark
            _INSTANCES.pop(name, None)
        else:
            if not isinstance(benchmark, Benchmark):
                raise ConfigError(f"{type(benchmark).__name__} does not implement the Benchmark protocol.")
            _INSTANCES[name] = benchmark


def get_benchmark(name: str | Benchmark = DEFAULT_BENCHMARK) -> Benchmark:
    """The benchmark called ``name`` (an instance is returned as it is)."""
    if not isinstance(name, str):
        return name
    with _LOCK:
        if name in _INSTANCES:
            return _INSTANCES[name]
        entry = _ENTRIES.get(name)
        if entry is None:
            raise ConfigError(
                f"unknown benchmark {name!r}; choose one of: {', '.join(available_benchmarks())}"
            )
        module_name, _, class_name = entry.partition(":")
        instance = getattr(importlib.import_module(module_name), class_name)()
        _INSTANCES[name] = instance
        return instance

"""Importing the library loads no benchmark package and changes no logging (a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

MODULES = [
    "fama_dspy",
    "fama_dspy.report",
    "fama_dspy.analysis",
    "fama_dspy.analysis.runs",
    "fama_dspy.optimizers",
    "fama_dspy.optimizers.metric",
    "fama_dspy.optimizers.pipeline",
    "fama_dspy.agent",
    "fama_dspy.fama_agent",
    "fama_dspy.react",
    "fama_dspy.specialists",
    "fama_dspy.results.decisions",
    "fama_dspy.benchmarks",
    "fama_dspy.bench",
    "fama_dspy.demo",
    "fama_dspy.cli",
]

PROBE = """
import json, sys
import loguru
before = len(loguru.logger._core.handlers)
for name in {modules!r}:
    __import__(name)
print(json.dumps({{
    "benchmark_modules": sorted(m for m in sys.modules if m == "tau2" or m.startswith(("tau2.", "fama_dspy.benchmarks.tau2"))),
    "command_modules": sorted(m for m in sys.modules if m.startswith("fama_dspy.commands") and m != "fama_dspy.commands"),
    "loguru_handlers_changed": len(loguru.logger._core.handlers) != before,
}}))
"""


def _probe(modules: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=modules)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_library_imports_load_no_benchmark_and_no_command_module():
    library = [m for m in MODULES if m != "fama_dspy.cli"]
    result = _probe(library)
    assert result == {"benchmark_modules": [], "command_modules": [], "loguru_handlers_changed": False}


def test_the_cli_parser_loads_no_benchmark():
    result = _probe(["fama_dspy.cli"])
    assert result["benchmark_modules"] == []

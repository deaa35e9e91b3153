"""Tests of fama_dspy.benchmarks.tau2 (the τ²-bench harness)."""

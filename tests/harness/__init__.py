"""Tests of fama_dspy.harness (the τ²-bench harness)."""

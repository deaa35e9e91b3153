"""Tests of fama_dspy.benchmarks.tau2.judge_validation (the judge validation set and its scoring)."""

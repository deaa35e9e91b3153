"""Tests of fama_dspy.report (benchmark statistics, tables, figures, report files)."""

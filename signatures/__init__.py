"""Typed DSPy signatures of fama-dspy: pure declarations (DSPy + pydantic only)."""

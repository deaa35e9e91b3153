"""DSPy and Optuna optimizers for FAMA agent programs."""

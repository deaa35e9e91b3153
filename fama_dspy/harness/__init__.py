"""τ²-bench harness: the only place in fama-dspy that imports ``tau2``."""

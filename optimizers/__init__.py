"""DSPy and Optuna optimizers for FAMA agent programs.

- ``dataset``: decision-level training data from gold trajectories (``datasets``, stored on disk);
- ``metric``: the exact decision metric and GEPA feedback in the failure vocabulary;
- ``instructions``: GEPA / MIPROv2 instruction tuning under an LM-call budget;
- ``acceptance``: keep a tuned program only if it is not worse on held-out points and solo episodes;
- ``activation``: the Optuna study over activation thresholds, gates, memory k, verify-and-revise;
- ``program``: one-JSON compiled programs (``save_program`` / ``load_program``);
- ``pipeline``: ``compile_program`` and ``tune_program_activation``, what ``fama compile`` / ``fama tune`` run.

Submodules are imported on use: ``import fama_dspy.optimizers`` stays light.
"""

from fama_dspy.optimizers.dataset import guard_split
from fama_dspy.optimizers.program import load_program, save_program

__all__ = ["guard_split", "load_program", "save_program"]

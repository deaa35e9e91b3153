"""Benchmark reports: pass^k, paired bootstrap comparisons with the base agent, tables, figures.

- ``stats``: pure maths (pass^k from counts, paired bootstrap intervals, overhead ratios);
- ``tables``: rows per (setting, configuration) from episode/decision records, and the base-pairing rule;
- ``plots``: PNG figures; ``markdown`` / ``writer``: ``write_report(run_dir)``.
"""

from fama_dspy.report.manifest import MANIFEST_FILE, package_versions, read_manifest, write_manifest
from fama_dspy.report.stats import (
    BootstrapInterval,
    bootstrap_mean,
    paired_accuracy_difference,
    paired_bootstrap,
    paired_pass1_difference,
    pass_hat_k_curve,
    pass_hat_k_from_counts,
    relative_overhead,
)
from fama_dspy.report.tables import BASE_MODES, base_from_name, base_of, decision_rows, episode_rows
from fama_dspy.report.writer import build_summary, write_report

__all__ = [
    "BASE_MODES",
    "MANIFEST_FILE",
    "BootstrapInterval",
    "base_from_name",
    "base_of",
    "bootstrap_mean",
    "build_summary",
    "decision_rows",
    "episode_rows",
    "package_versions",
    "paired_accuracy_difference",
    "paired_bootstrap",
    "paired_pass1_difference",
    "pass_hat_k_curve",
    "pass_hat_k_from_counts",
    "read_manifest",
    "relative_overhead",
    "write_manifest",
    "write_report",
]

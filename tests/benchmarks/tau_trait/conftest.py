"""τ-trait tests need the checkout (``FAMA_TAU_TRAIT_DIR``; tests/conftest.py points it at the shared
one when it exists): without it every test here skips, saying why."""

from __future__ import annotations

import pytest

from fama_dspy.errors import ConfigError


@pytest.fixture(autouse=True)
def _tau_trait_checkout():
    from fama_dspy.benchmarks.tau_trait.data import CHECKOUT

    try:
        CHECKOUT.path()
    except ConfigError as exc:
        pytest.skip(f"no τ-trait checkout: {exc}")


@pytest.fixture
def out_dir(tmp_path):
    return tmp_path / "run"

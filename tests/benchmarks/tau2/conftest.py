"""Fixtures of the harness tests (scripted agents live in ``harness_helpers``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def out_dir(tmp_path):
    return tmp_path / "run"

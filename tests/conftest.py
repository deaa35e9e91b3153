"""Shared fixtures. ``real_server``: the real embedded llama-server for tests marked ``real_model``."""

from __future__ import annotations

import pytest

FAST_MODEL = "qwen2.5-coder-0.5b"


@pytest.fixture(scope="session")
def real_server():
    """One 0.5B server for the session (reused if one is already running)."""
    from fama_dspy.serving.server import local_server

    with local_server(FAST_MODEL, reuse=True, parallel=2, ctx_per_slot=8192) as info:
        yield info

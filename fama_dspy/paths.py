"""Where fama-dspy keeps things on disk.

Everything large or machine-specific (the built server, assembled model weights, LM response
caches, server logs) lives in the user's cache directory, never inside the installed package or
the project tree. ``FAMA_HOME`` overrides the root, which tests and CI use to stay isolated.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "fama-dspy"


def cache_root() -> Path:
    """Root of fama-dspy's cache (``$FAMA_HOME`` or the XDG user cache dir)."""
    override = os.environ.get("FAMA_HOME")
    root = Path(override).expanduser() if override else Path(platformdirs.user_cache_dir(APP_NAME))
    root.mkdir(parents=True, exist_ok=True)
    return root


def _sub(name: str) -> Path:
    path = cache_root() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """Assembled GGUF model files."""
    return _sub("models")


def server_build_dir() -> Path:
    """Built llama.cpp server binaries, one folder per source version and flag set."""
    return _sub("llama.cpp")


def servers_state_dir() -> Path:
    """One JSON file per running server we started, so another process can reuse it."""
    return _sub("servers")


def logs_dir() -> Path:
    """Server logs."""
    return _sub("logs")


def lm_cache_dir() -> Path:
    """DSPy's LM response cache for fama-dspy (kept apart from the global ``~/.dspy_cache``)."""
    override = os.environ.get("FAMA_LM_CACHE_DIR")
    if override:
        path = Path(override).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path
    return _sub("dspy-cache")

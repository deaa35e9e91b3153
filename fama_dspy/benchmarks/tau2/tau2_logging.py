"""Import τ²-bench without letting it flood or reconfigure the process's loguru output.

τ² logs every tool response at DEBUG and dumps its registry at import, and its ``run_tasks``
calls ``logger.remove()``/``logger.add()``, which would replace the sinks of the whole process.
Loguru has no per-module levels, so each τ² module's ``logger`` global is swapped for a proxy
that forwards WARNING and above and drops everything else, including sink changes.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Before LiteLLM is imported (τ² imports it): never fetch the model cost map from the network.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from loguru import logger as _loguru

_QUIET_LEVELS = {"TRACE", "DEBUG", "INFO", "SUCCESS"}
#: Warnings τ² emits in normal operation, once per message or tool call: messages without a cost
#: (task histories, local models), airline cancellations, gold actions that fail by design.
_NOISE = ("has no cost", "Seats release not implemented", "Error in golden actions")


class WarningsOnlyLogger:
    """The subset of loguru's logger τ² uses; below-WARNING records and sink changes are dropped."""

    def __init__(self, depth: int = 0):
        self._depth = depth

    def _forward(self, level: str, message: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(message, str) and any(noise in message for noise in _NOISE):
            return
        # depth + 2 skips this proxy's frames, so records keep τ²'s module name and line.
        _loguru.opt(depth=self._depth + 2).log(level, message, *args, **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> None:
        pass

    debug = info = success = trace

    def warning(self, message: Any, *args: Any, **kwargs: Any) -> None:
        self._forward("WARNING", message, *args, **kwargs)

    def error(self, message: Any, *args: Any, **kwargs: Any) -> None:
        self._forward("ERROR", message, *args, **kwargs)

    def critical(self, message: Any, *args: Any, **kwargs: Any) -> None:
        self._forward("CRITICAL", message, *args, **kwargs)

    def exception(self, message: Any, *args: Any, **kwargs: Any) -> None:
        _loguru.opt(depth=self._depth + 1, exception=True).log("ERROR", message, *args, **kwargs)

    def log(self, level: Any, message: Any, *args: Any, **kwargs: Any) -> None:
        name = level if isinstance(level, str) else ""
        if name.upper() in _QUIET_LEVELS or (isinstance(level, int) and level < 30):
            return
        self._forward(level, message, *args, **kwargs)

    def opt(self, *args: Any, depth: int = 0, **kwargs: Any) -> WarningsOnlyLogger:
        return WarningsOnlyLogger(self._depth + depth)

    def bind(self, *args: Any, **kwargs: Any) -> WarningsOnlyLogger:
        return self

    def add(self, *args: Any, **kwargs: Any) -> int:
        return -1  # τ² must not install sinks for the whole process.

    def remove(self, *args: Any, **kwargs: Any) -> None:
        pass  # ... nor remove the caller's.


_installed = False


def install_quiet_tau2_logging() -> None:
    """Import the τ² modules the harness uses and quieten their loggers (idempotent)."""
    global _installed
    if _installed:
        return
    _loguru.disable("tau2")  # the import-time registry dump happens before we can swap loggers
    try:
        import tau2.agent.llm_agent
        import tau2.evaluator.evaluator
        import tau2.orchestrator.orchestrator
        import tau2.registry
        import tau2.user.user_simulator  # noqa: F401
    finally:
        _loguru.enable("tau2")
    proxy = WarningsOnlyLogger()
    for name, module in list(sys.modules.items()):
        if (name == "tau2" or name.startswith("tau2.")) and getattr(module, "logger", None) is _loguru:
            module.logger = proxy
    _installed = True

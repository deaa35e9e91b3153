"""Several replicas of one model behind LiteLLM's Router: one ``dspy.LM``, requests spread by load.

``--api-base http://a:8000/v1,http://b:8000/v1`` names replicas of the *same* model (vLLM, SGLang,
llama-server, …). The LM then sends each request through a ``litellm.Router`` whose deployments
are those replicas, with the ``least-busy`` strategy (the replica with the fewest requests in
flight gets the next one) and LiteLLM's cooldown of a replica that fails. Everything above the
engine is DSPy's LM as usual: adapters, response cache, history, callbacks.

Why an engine subclass: DSPy's LiteLLM engine calls ``litellm.completion``; this one calls the
router's ``completion`` with the same request, so the raw LiteLLM response (with the server's
``timings``), the truncation check and the history entry are exactly those of a single endpoint.
DSPy 3.4 marks a custom engine's ``complete_legacy`` as a 3.5 removal; the package pins DSPy below
3.5 and silences that one warning for this engine alone.
"""

from __future__ import annotations

import warnings
from typing import Any

from dspy.clients.call_context import completed_legacy
from dspy.clients.call_result import CallResult
from dspy.clients.engines.litellm_engine import LiteLLMEngine
from dspy.clients.engines.litellm_errors import litellm_errors

from fama_dspy.errors import ConfigError

#: The Router's model group name: one group, the replicas of the LM's model.
GROUP = "fama-replicas"
ROUTING_STRATEGY = "least-busy"


def parse_api_bases(api_base: str | None) -> list[str]:
    """``"http://a/v1, http://b/v1"`` → the distinct replica URLs, in order (``[]`` for None)."""
    if not api_base:
        return []
    bases = []
    for part in api_base.split(","):
        base = part.strip().rstrip("/")
        if not base:
            raise ConfigError(f"empty replica in --api-base {api_base!r}: separate replica URLs with commas")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"replica {base!r} in --api-base is not an http(s) URL")
        if base not in bases:
            bases.append(base)
    return bases


def replica_router(model: str, api_bases: list[str], api_key: str | None, headers: dict[str, str]):
    """A LiteLLM Router with one deployment per replica of ``model``."""
    from litellm import Router

    if len(api_bases) < 2:
        raise ConfigError("a replica router needs at least two --api-base URLs")
    deployments = [
        {
            "model_name": GROUP,
            "litellm_params": {
                "model": model,
                "api_base": base,
                "api_key": api_key or "none",
                "extra_headers": dict(headers),
            },
            "model_info": {"id": f"replica-{i}"},
        }
        for i, base in enumerate(api_bases)
    ]
    # Retries stay with the caller (the agent's repair step, the runner's episode errors): the
    # router only picks a replica and cools down one that fails.
    return Router(model_list=deployments, routing_strategy=ROUTING_STRATEGY, num_retries=0)


class RouterEngine(LiteLLMEngine):
    """DSPy's LiteLLM engine with a LiteLLM Router in place of ``litellm.completion``."""

    def __init__(self, router, api_bases: list[str]):
        super().__init__()
        self.router = router
        self.api_bases = list(api_bases)

    def _route(self, request: dict[str, Any]) -> Any:
        request = dict(request)
        for key in ("model", "rollout_id", "api_base", "api_key", "headers"):
            request.pop(key, None)
        return self.router.completion(model=GROUP, **request)

    def complete_legacy(self, lm, request, **context):
        with litellm_errors(model=lm.model):
            raw = self._route(request)
        completed_legacy(raw)
        lm._check_truncation(raw)
        return CallResult.legacy(lm, raw, kwargs=request)

    def complete(self, request):
        data = self._arguments(request)
        for key in ("num_retries", "cache"):
            data.pop(key, None)
        with litellm_errors(model=request.model):
            raw = self._route(data)
        return self._response(raw, request)

    def __repr__(self) -> str:
        return f"RouterEngine({', '.join(self.api_bases)})"


def silence_legacy_shortcut_warning() -> None:
    """DSPy warns once that custom engines' ``complete_legacy`` goes away in 3.5 (pinned below)."""
    warnings.filterwarnings("ignore", message=r"The custom-engine complete_legacy\(\) shortcut is deprecated")

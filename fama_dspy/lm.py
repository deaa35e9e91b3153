"""One way to turn a model spec into a ``dspy.LM`` routed through LiteLLM.

Specs:
- ``"local"`` / ``"local:<model>"``: the embedded llama-server (started, or reused, on demand);
- any LiteLLM string: ``"ollama_chat/qwen3:4b"``, ``"hosted_vllm/Qwen/Qwen3-4B"``,
  ``"openai/<name>"`` with ``api_base`` / ``api_key``. Several comma-separated ``api_base`` URLs
  are replicas of one model, served through LiteLLM's Router (``fama_dspy.lm_router``).

Why the details:
- DSPy 3.4 sends ``openai/...`` through its own bundled client unless ``engine="litellm"``; we
  want one routing layer (LiteLLM) for every provider, so we always pass it.
- DSPy's response cache ignores ``api_base`` in its key, so two servers with the same model name
  would share entries. We add an ``X-Fama-Endpoint`` header naming the endpoint (for the local
  server: model + SHA-256, so the cache survives port changes but never mixes models).
- The cache lives in fama-dspy's own cache dir (``FAMA_LM_CACHE_DIR`` overrides it).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

# Before LiteLLM is imported anywhere: never fetch the model cost map from the network.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import dspy
import httpx

from fama_dspy.errors import ConfigError, EndpointUnreachableError
from fama_dspy.paths import lm_cache_dir

LOCAL_PREFIX = "local"
DEFAULT_MAX_TOKENS = 768

_cache_configured = False
_cache_lock = threading.Lock()


@dataclass
class ModelRoute:
    """A resolved model spec: what LiteLLM is called with, and a stable endpoint identity."""

    spec: str
    litellm_model: str
    api_base: str | None = None
    api_key: str | None = None
    local_model: str | None = None
    endpoint_id: str = ""
    extra: dict = field(default_factory=dict)
    #: Every replica URL when several were given (``api_base`` is the first); empty otherwise.
    replicas: list[str] = field(default_factory=list)

    @property
    def is_local(self) -> bool:
        return self.local_model is not None

    def litellm_kwargs(self) -> dict:
        """Connection kwargs of one endpoint (the first replica: τ²'s own agents call LiteLLM directly)."""
        kwargs: dict = {}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        return kwargs

    def tau2_llm(self, temperature: float = 0.0, **extra) -> tuple[str, dict]:
        """The ``(llm, llm_args)`` pair τ²-bench's own agents and user simulator take."""
        args = {"temperature": temperature, **self.litellm_kwargs(), **extra}
        return self.litellm_model, args


def parse_local(spec: str) -> str | None:
    """Model name of a ``local`` spec (None for non-local specs)."""
    from fama_dspy.serving.models import DEFAULT_MODEL, get_model

    if spec == LOCAL_PREFIX:
        return DEFAULT_MODEL
    if spec.startswith(LOCAL_PREFIX + ":"):
        name = spec.split(":", 1)[1].strip()
        return get_model(name).name
    return None


def resolve(
    spec: str = "local",
    api_base: str | None = None,
    api_key: str | None = None,
    start_server: bool = True,
) -> ModelRoute:
    """Resolve a spec; for ``local`` specs, start or reuse the embedded server when asked."""
    spec = (spec or "").strip()
    if not spec:
        raise ConfigError("empty model spec; use 'local', 'local:<model>' or a LiteLLM model string")
    local = parse_local(spec)
    if local is not None:
        from fama_dspy.serving.models import get_model

        model = get_model(local)
        route = ModelRoute(
            spec=spec,
            litellm_model=f"openai/{model.name}",
            api_key="none",
            local_model=model.name,
            endpoint_id=f"local:{model.name}@{model.sha256[:16]}",
        )
        if start_server:
            from fama_dspy.serving.server import ensure_local_server

            route.api_base = ensure_local_server(model.name).api_base
        return route
    if "/" not in spec:
        raise ConfigError(
            f"model spec '{spec}' is neither 'local[:<model>]' nor a LiteLLM 'provider/model' string "
            "(e.g. ollama_chat/qwen3:4b, hosted_vllm/Qwen/Qwen3-4B, openai/<name> with --api-base)"
        )
    from fama_dspy.lm_router import parse_api_bases

    bases = parse_api_bases(api_base)
    if spec.startswith("openai/") and bases and not api_key:
        api_key = "none"  # OpenAI-compatible local servers need *a* key, any key.
    return ModelRoute(
        spec=spec,
        litellm_model=spec,
        api_base=bases[0] if bases else None,
        api_key=api_key,
        endpoint_id=f"{spec}@{'|'.join(bases) or 'provider-default'}",
        replicas=bases if len(bases) > 1 else [],
    )


def check_endpoint(route: ModelRoute, timeout: float = 5.0) -> None:
    """Raise EndpointUnreachableError with a readable message when an endpoint (any replica) does not answer."""
    bases = route.replicas or [route.api_base]
    if bases == [None] and route.litellm_model.startswith(("ollama/", "ollama_chat/")):
        bases = [os.environ.get("OLLAMA_API_BASE", "http://localhost:11434")]
    for base in bases:
        if base is None:
            return  # A hosted provider: nothing local to probe (and we stay offline).
        try:
            httpx.get(base.rstrip("/"), timeout=timeout)
        except httpx.HTTPError as exc:
            raise EndpointUnreachableError(
                f"cannot reach the model endpoint {base} for '{route.spec}' ({type(exc).__name__}: {exc}). "
                "Is the server running? For the embedded model use --model local."
            ) from None


def configure_cache() -> None:
    """Point DSPy's disk cache at fama-dspy's own cache dir (once per process)."""
    global _cache_configured
    with _cache_lock:
        if not _cache_configured:
            dspy.configure_cache(
                enable_disk_cache=True, enable_memory_cache=True, disk_cache_dir=str(lm_cache_dir())
            )
            _cache_configured = True


def make_lm(
    spec: str = "local",
    api_base: str | None = None,
    api_key: str | None = None,
    temperature: float = 0.0,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    cache: bool = True,
    check: bool = True,
    **kwargs,
) -> dspy.LM:
    """A ``dspy.LM`` for ``spec``, routed through LiteLLM (see module docstring)."""
    route = resolve(spec, api_base=api_base, api_key=api_key)
    if check:
        check_endpoint(route)
    if cache:
        configure_cache()
    headers = {"X-Fama-Endpoint": route.endpoint_id}
    if route.replicas:
        from fama_dspy.lm_router import RouterEngine, replica_router, silence_legacy_shortcut_warning

        silence_legacy_shortcut_warning()
        router = replica_router(route.litellm_model, route.replicas, route.api_key, headers)
        # The engine owns the connection; the endpoint id rides in LiteLLM's metadata (never sent
        # to the server) so that DSPy's cache keys still name the replica set.
        lm = dspy.LM(
            route.litellm_model,
            engine=RouterEngine(router, route.replicas),
            temperature=temperature,
            max_tokens=max_tokens,
            cache=cache,
            metadata={"fama_endpoint": route.endpoint_id},
            **kwargs,
        )
    else:
        lm = dspy.LM(
            route.litellm_model,
            engine="litellm",
            temperature=temperature,
            max_tokens=max_tokens,
            cache=cache,
            headers=headers,
            **route.litellm_kwargs(),
            **kwargs,
        )
    lm.fama_route = route  # type: ignore[attr-defined]  # what the harness and reports record
    return lm

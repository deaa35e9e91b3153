"""What a bench runs (``BenchPlan``), checked (``check_plan``) and resolved into named agent factories."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fama_dspy.bench.agents import resolve_agent
from fama_dspy.bench.configs import MODES, ConfigSpec, config_base
from fama_dspy.benchmarks import DEFAULT_BENCHMARK, get_benchmark
from fama_dspy.errors import ConfigError

DEFAULT_CONFIGS = "react,irma,fama:dce+mem"
DEFAULT_MODES = "decisions"
#: Small by default: a 2-core machine runs a 1.5B model at a few seconds per LM call.
DEFAULT_NUM_TASKS = 3
DECISION_VIEWS = ("interactive", "solo")


@dataclass
class BenchPlan:
    """What to run: every configuration × every mode on one task selection."""

    domain: str
    configs: list[ConfigSpec]
    benchmark: str = DEFAULT_BENCHMARK
    modes: tuple[str, ...] = ("decisions",)
    split: str = "test"
    task_ids: list[str] | None = None
    num_tasks: int | None = DEFAULT_NUM_TASKS
    trials: int = 1
    seed: int | None = None
    max_steps: int | None = None  # None: the benchmark's default_max_steps (set by check_plan)
    concurrency: int = 1
    user: str = "fama"
    decision_view: str = "interactive"
    #: Defaults for configurations without their own ``@SETTINGS`` (None: the library's defaults).
    decoding: str | None = None
    id_policy: str | None = None


@dataclass
class BenchResult:
    report: Path
    manifest: dict[str, Any]
    skipped: list[str] = field(default_factory=list)
    #: The server's prompt-cache statistics over the bench's requests (``lm_calls.prompt_cache_stats``).
    prompt_cache: dict[str, Any] = field(default_factory=dict)


@dataclass
class ResolvedConfig:
    """A configuration ready to run: its name, base for comparisons, and agent factory."""

    spec: ConfigSpec
    name: str
    description: str
    base: str | None
    factory: Any
    tau2_llm: bool
    gold: bool = False

    @property
    def runs_without_factory(self) -> bool:
        return self.tau2_llm or self.gold


def lm_label(lm) -> str:
    """The model an LM runs, as the manifest records it (``local`` resolved to the embedded model's name)."""
    route = getattr(lm, "fama_route", None)
    if route is not None:
        return f"local:{route.local_model}" if route.is_local else route.spec
    return str(getattr(lm, "model", lm))


def resolve_configs(plan: BenchPlan, model: str) -> list[ResolvedConfig]:
    """Every configuration of the plan, named; two configurations with one name are refused."""

    resolved = []
    for spec in plan.configs:
        choice = resolve_agent(spec.agent_spec(plan.decoding, plan.id_policy), model, domain=plan.domain)
        resolved.append(
            ResolvedConfig(
                spec,
                choice.name,
                choice.description,
                config_base(spec),
                choice.factory,
                choice.tau2_llm,
                choice.gold,
            )
        )
    names = [c.name for c in resolved]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"configurations named twice: {', '.join(duplicates)}")
    return resolved


def check_plan(plan: BenchPlan) -> None:
    """Refuse a plan that cannot run, before any model starts."""
    benchmark = get_benchmark(plan.benchmark)
    benchmark.check_domain(plan.domain)
    if plan.max_steps is None:
        plan.max_steps = benchmark.default_max_steps
    solo_domains = benchmark.solo_domains
    if not plan.configs:
        raise ConfigError("no configurations to run")
    unknown = sorted(set(plan.modes) - set(MODES))
    if unknown or not plan.modes:
        raise ConfigError(f"unknown mode(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(MODES)}")
    if "solo" in plan.modes and plan.domain not in solo_domains:
        raise ConfigError(f"{plan.domain} has no solo mode (solo exists for {', '.join(solo_domains)})")
    if plan.decision_view == "solo" and "decisions" in plan.modes and plan.domain not in solo_domains:
        raise ConfigError(f"{plan.domain} has no solo view for decision points")
    if plan.decision_view not in DECISION_VIEWS:
        raise ConfigError(f"decision view must be one of {', '.join(DECISION_VIEWS)}")
    if plan.trials < 1 or plan.max_steps < 1 or plan.concurrency < 1:
        raise ConfigError("trials, max steps and concurrency must be at least 1")

"""Agent configurations as typed settings: what to run (``AgentSpec``) → a named factory (``AgentChoice``).

The configuration's name goes into every record, so it says everything that changes behaviour:
the base, the specialists, a compiled program, and (``decoding_label``) a decoding mode or id
policy other than the defaults.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from fama_dspy.decoding import decoding_label
from fama_dspy.errors import ConfigError

#: Agents that take no options and wrap no base: the bases themselves, τ²'s LLM agent, the gold replay.
PLAIN_AGENTS = ("react", "fc", "tau2-llm-agent", "gold")
#: Agents that wrap a base (``react`` unless told otherwise).
META_AGENTS = ("irma", "fama", "fama-compiled")
AGENT_CHOICES = (*PLAIN_AGENTS, *META_AGENTS)
#: What a benchmark runner is asked to run instead of a fama-dspy agent (``EpisodeRequest.extra``).
GOLD_EXTRA = {"agent": "gold"}


class AgentSpec(BaseModel):
    """One agent configuration, as ``--agent`` and its options (or one ``--configs`` item) give it."""

    agent: Literal["react", "fc", "irma", "fama", "fama-compiled", "tau2-llm-agent", "gold"] = "fama"
    base: Literal["react", "fc"] | None = None
    specialists: str | list[str] | None = None
    profile: str | None = None
    program: str | None = None
    memory_k: int | None = None
    verify_and_revise: bool = True
    name: str | None = None
    decoding: str | None = None
    id_policy: str | None = None


@dataclass
class AgentChoice:
    """What to run: a fama-dspy agent factory, or τ²'s reference agent."""

    name: str
    factory: Callable[[], Any] | None = None
    tau2_llm: bool = False
    description: str = ""
    #: The benchmark's own gold replay (no LLM): an install check and the scoring's parity test.
    gold: bool = False

    @property
    def runs_without_factory(self) -> bool:
        """Run by the benchmark itself (τ²'s reference agent, the gold replay): episodes only."""
        return self.tau2_llm or self.gold


def learned_where(source_domain: str | None, split: str | None, domain: str | None) -> str:
    """Where a profile or compiled program was learned, and whether running it here is a transfer."""
    if not source_domain:
        return "where it was learned is not recorded"
    where = f"learned on {source_domain} {split or ''}".rstrip()
    transfer = domain is not None and source_domain.strip().lower() != domain.strip().lower()
    return f"transfer: {where}" if transfer else where


def _profile_subset(path: str, model: str, domain: str | None) -> tuple[list[str], str]:
    """The profile's recommended subset, and where the profile was learned (``learned_where``)."""
    from fama_dspy.analysis.profile import FailureProfile

    profile = FailureProfile.load(path)
    if domain is not None:
        profile.check_compatible(model, domain)  # warns when made for another model/domain
    from fama_dspy.decision_analysis import no_flip_note

    # A user comparing "fama-profile" should know when its subset is the prior's pick.
    if note := no_flip_note(profile.notes):
        warnings.warn(f"profile {path}: {note}", stacklevel=3)
    if not profile.recommended:
        warnings.warn(
            f"profile {path} recommends no specialists; FAMA runs as its bare base agent", stacklevel=3
        )
    return list(profile.recommended), learned_where(profile.domain, profile.split, domain)


def resolve_agent(spec: AgentSpec, model: str = "", domain: str | None = None) -> AgentChoice:
    """The named configuration ``spec`` describes; ``model``/``domain`` check a profile's fit."""
    choice = _resolve(spec, model, domain)
    if not spec.name and not choice.runs_without_factory:
        choice.name += decoding_label(spec.decoding, spec.id_policy)
    return choice


def _resolve(spec: AgentSpec, model: str, domain: str | None) -> AgentChoice:
    from fama_dspy.configs import build_agent

    kw: dict[str, Any] = {}
    if spec.decoding:
        kw["decoding"] = spec.decoding
    if spec.id_policy:
        kw["id_policy"] = spec.id_policy
    if spec.memory_k is not None:
        kw["memory_k"] = spec.memory_k
    if not spec.verify_and_revise:
        kw["verify_and_revise"] = False
    agent = spec.agent
    if agent == "gold":
        return AgentChoice(
            name=spec.name or "gold", gold=True, description="the benchmark's gold actions replayed (no LLM)"
        )
    if agent == "tau2-llm-agent":
        return AgentChoice(
            name=spec.name or "tau2-llm-agent", tau2_llm=True, description="τ²'s reference llm_agent"
        )
    if agent == "fama-compiled" or spec.program:
        if not spec.program:
            raise ConfigError("--agent fama-compiled needs --program <compiled program JSON>")
        from fama_dspy.optimizers.program import load_program

        path = Path(spec.program)
        overrides = {k: kw[k] for k in ("decoding", "id_policy") if k in kw}
        # fail now, with a clear error, rather than in the first episode
        data = (load_program(path, **overrides).program_info or {}).get("data") or {}
        return AgentChoice(
            name=spec.name or f"fama-compiled[{path.stem}]",
            factory=lambda: load_program(path, **overrides),
            description=f"compiled program {path} ({learned_where(data.get('domain'), data.get('split'), domain)})",
        )
    if agent in ("react", "fc"):
        if spec.specialists or spec.profile:
            raise ConfigError(
                f"--agent {agent} has no specialists; use --agent fama --base {agent} to add some"
            )
        return AgentChoice(
            name=spec.name or agent,
            factory=lambda: build_agent(agent, **kw),
            description=f"{agent} base agent",
        )
    base = spec.base or "react"
    if agent == "irma":
        return AgentChoice(
            name=spec.name or f"irma[{base}]",
            factory=lambda: build_agent("irma", base=base, **kw),
            description=f"IRMA-style (MEM+DCE+TSA, follow-up prompting) on {base}",
        )
    if spec.profile and spec.specialists:
        raise ConfigError("give either --specialists or --profile, not both")
    if spec.profile:
        subset, where = _profile_subset(spec.profile, model, domain)
        source = f"profile {Path(spec.profile).name}, {where}"
    elif spec.specialists:
        from fama_dspy.specialists import normalize_codes

        subset = list(normalize_codes(spec.specialists))
        source = "explicit subset"
    else:
        raise ConfigError("--agent fama needs --specialists (e.g. dce,mem) or --profile <profile JSON>")
    label = "+".join(subset) or "none"
    return AgentChoice(
        name=spec.name or f"fama[{base}:{label}]",
        factory=lambda: build_agent("fama", base=base, specialists=subset, **kw),
        description=f"FAMA on {base} with {label} ({source})",
    )

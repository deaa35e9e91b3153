"""Options shared by the commands that run agents: model, tasks, agent configuration."""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fama_dspy.decoding import decoding_label
from fama_dspy.errors import ConfigError

AGENT_CHOICES = ("react", "fc", "irma", "fama", "fama-compiled", "tau2-llm-agent")


def add_model_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", default="local", help="'local', 'local:<model>' or a LiteLLM model string")
    group.add_argument("--api-base", default=None)
    group.add_argument("--api-key", default=None)
    group.add_argument("--temperature", type=float, default=0.0)


def add_task_args(parser: argparse.ArgumentParser, default_domain: str | None = "mock") -> None:
    group = parser.add_argument_group("tasks")
    group.add_argument("--domain", default=default_domain, choices=["airline", "retail", "telecom", "mock"])
    group.add_argument("--split", default="train", help="train | test | base (mock has one split)")
    group.add_argument("--task-ids", default=None, help="comma-separated task ids (overrides --num-tasks)")
    group.add_argument("--num-tasks", type=int, default=None, help="first N tasks of the split")


def add_agent_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("agent")
    group.add_argument("--agent", default="fama", choices=AGENT_CHOICES)
    group.add_argument(
        "--base", default=None, choices=["react", "fc"], help="base mode FAMA/IRMA wrap (default react)"
    )
    group.add_argument("--specialists", default=None, help="FAMA subset, e.g. dce,mem")
    group.add_argument(
        "--profile", default=None, help="failure profile JSON: FAMA uses its recommended subset"
    )
    group.add_argument("--program", default=None, help="compiled program JSON (agent fama-compiled)")
    group.add_argument("--memory-k", type=int, default=None, help="MEM: how many user turns to keep")
    group.add_argument(
        "--no-verify-revise", action="store_true", help="VER reports but never triggers a revision"
    )
    group.add_argument("--name", default=None, help="configuration name in the records (default: derived)")
    add_decoding_args(parser)


def add_decoding_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("decoding")
    group.add_argument(
        "--decoding",
        default=None,
        choices=["constrained", "json", "free"],
        help="how answers are decoded: constrained to the live tool schemas (default), JSON mode, "
        "or free text; recorded in every record and in the configuration's name",
    )
    group.add_argument(
        "--id-policy",
        default=None,
        choices=["seen", "free"],
        help="identifier arguments: only ids seen in the conversation/tool results (default), or free",
    )


def task_ids_arg(args: argparse.Namespace) -> list[str] | None:
    return [t.strip() for t in args.task_ids.split(",") if t.strip()] if args.task_ids else None


def make_lm_from_args(args: argparse.Namespace):
    from fama_dspy.lm import make_lm

    return make_lm(args.model, api_base=args.api_base, api_key=args.api_key, temperature=args.temperature)


@dataclass
class AgentChoice:
    """What to run: a fama-dspy agent factory, or τ²'s reference agent."""

    name: str
    factory: Callable[[], Any] | None = None
    tau2_llm: bool = False
    description: str = ""


def _profile_subset(path: str, model: str, domain: str | None) -> list[str]:
    from fama_dspy.analysis.profile import FailureProfile

    profile = FailureProfile.load(path)
    if domain is not None:
        profile.check_compatible(model, domain)  # warns when made for another model/domain
    if not profile.recommended:
        warnings.warn(
            f"profile {path} recommends no specialists; FAMA runs as its bare base agent", stacklevel=2
        )
    return list(profile.recommended)


def agent_choice(args: argparse.Namespace, domain: str | None = None) -> AgentChoice:
    """Turn the agent options into a named configuration (the name goes into every record)."""
    choice = _agent_choice(args, domain)
    decoding, id_policy = getattr(args, "decoding", None), getattr(args, "id_policy", None)
    if not args.name and not choice.tau2_llm:
        choice.name += decoding_label(decoding, id_policy)
    return choice


def _agent_choice(args: argparse.Namespace, domain: str | None = None) -> AgentChoice:
    from fama_dspy.configs import build_agent

    kw: dict[str, Any] = {}
    if getattr(args, "decoding", None):
        kw["decoding"] = args.decoding
    if getattr(args, "id_policy", None):
        kw["id_policy"] = args.id_policy
    if args.memory_k is not None:
        kw["memory_k"] = args.memory_k
    if args.no_verify_revise:
        kw["verify_and_revise"] = False
    agent = args.agent
    if agent == "tau2-llm-agent":
        return AgentChoice(
            name=args.name or "tau2-llm-agent", tau2_llm=True, description="τ²'s reference llm_agent"
        )
    if agent == "fama-compiled" or args.program:
        if not args.program:
            raise ConfigError("--agent fama-compiled needs --program <compiled program JSON>")
        from fama_dspy.optimizers.program import load_program

        path = Path(args.program)
        overrides = {k: kw[k] for k in ("decoding", "id_policy") if k in kw}
        load_program(path, **overrides)  # fail now, with a clear error, rather than in the first episode
        name = args.name or f"fama-compiled[{path.stem}]"
        return AgentChoice(
            name=name, factory=lambda: load_program(path, **overrides), description=f"compiled program {path}"
        )
    if agent in ("react", "fc"):
        if args.specialists or args.profile:
            raise ConfigError(
                f"--agent {agent} has no specialists; use --agent fama --base {agent} to add some"
            )
        return AgentChoice(
            name=args.name or agent,
            factory=lambda: build_agent(agent, **kw),
            description=f"{agent} base agent",
        )
    base = args.base or "react"
    if agent == "irma":
        return AgentChoice(
            name=args.name or f"irma[{base}]",
            factory=lambda: build_agent("irma", base=base, **kw),
            description=f"IRMA-style (MEM+DCE+TSA, follow-up prompting) on {base}",
        )
    if args.profile and args.specialists:
        raise ConfigError("give either --specialists or --profile, not both")
    if args.profile:
        subset = _profile_subset(args.profile, args.model, domain)
        source = f"profile {Path(args.profile).name}"
    elif args.specialists:
        from fama_dspy.specialists import normalize_codes

        subset = list(normalize_codes(args.specialists))
        source = "explicit subset"
    else:
        raise ConfigError("--agent fama needs --specialists (e.g. dce,mem) or --profile <profile JSON>")
    label = "+".join(subset) or "none"
    return AgentChoice(
        name=args.name or f"fama[{base}:{label}]",
        factory=lambda: build_agent("fama", base=base, specialists=subset, **kw),
        description=f"FAMA on {base} with {label} ({source})",
    )

"""Options shared by the commands that run agents: model, tasks, agent configuration."""

from __future__ import annotations

import argparse
from pathlib import Path

from fama_dspy.bench.agents import AGENT_CHOICES, AgentChoice, AgentSpec, resolve_agent
from fama_dspy.benchmarks import DEFAULT_BENCHMARK, available_benchmarks


def add_model_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model")
    group.add_argument("--model", default="local", help="'local', 'local:<model>' or a LiteLLM model string")
    group.add_argument("--api-base", default=None)
    group.add_argument("--api-key", default=None)
    group.add_argument("--temperature", type=float, default=0.0)


def add_task_args(parser: argparse.ArgumentParser, default_domain: str | None = "mock") -> None:
    group = parser.add_argument_group("tasks")
    group.add_argument(
        "--benchmark",
        default=DEFAULT_BENCHMARK,
        choices=available_benchmarks(),
        help=f"benchmark the tasks come from (default {DEFAULT_BENCHMARK})",
    )
    group.add_argument(
        "--domain", default=default_domain, help="the benchmark's domain (τ²: airline, retail, telecom, mock)"
    )
    group.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="the benchmark's checkout folder, for benchmarks read from one (ACEBench, τ-trait)",
    )
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
    group.add_argument(
        "--prompt-layout",
        default=None,
        choices=["shared-prefix", "per-signature"],
        help="shared-prefix (default): the policy and tools open every prompt, identical across agents, "
        "so the server's prompt cache serves them once; per-signature: DSPy's order (each "
        "predictor's instructions first), the layout of results measured before it; recorded in "
        "decision records",
    )


def task_ids_arg(args: argparse.Namespace) -> list[str] | None:
    return [t.strip() for t in args.task_ids.split(",") if t.strip()] if args.task_ids else None


def make_lm_from_args(args: argparse.Namespace):
    from fama_dspy.lm import make_lm

    return make_lm(args.model, api_base=args.api_base, api_key=args.api_key, temperature=args.temperature)


def agent_spec_from_args(args: argparse.Namespace) -> AgentSpec:
    """The agent options (``add_agent_args``) as the library's typed configuration."""
    return AgentSpec(
        agent=args.agent,
        base=args.base,
        specialists=args.specialists,
        profile=args.profile,
        program=args.program,
        memory_k=args.memory_k,
        verify_and_revise=not args.no_verify_revise,
        name=args.name,
        decoding=getattr(args, "decoding", None),
        id_policy=getattr(args, "id_policy", None),
    )


def agent_choice(args: argparse.Namespace, domain: str | None = None) -> AgentChoice:
    """Turn the agent options into a named configuration (the name goes into every record)."""
    return resolve_agent(agent_spec_from_args(args), args.model, domain=domain)


def use_benchmark_checkout(args: argparse.Namespace) -> None:
    """Apply ``--data-dir`` to the chosen benchmark (a no-op for benchmarks installed as packages)."""
    if getattr(args, "data_dir", None) is None:
        return
    from fama_dspy.benchmarks import get_benchmark
    from fama_dspy.errors import ConfigError

    checkout = getattr(get_benchmark(args.benchmark), "checkout", None)
    if checkout is None:
        raise ConfigError(f"--data-dir: {args.benchmark} is installed as a package and reads no checkout")
    checkout.use(args.data_dir)

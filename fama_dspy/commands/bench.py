"""``fama bench``: several agent configurations on the same tasks, points, trials and seeds, then the report.

All configurations share one run directory: ``episodes.jsonl`` and ``decisions.jsonl`` hold every
configuration's records, and the harness skips what a configuration already finished, so an
interrupted bench resumes by rerunning the same command. ``bench.json`` (the manifest) records the
model, temperature, task selection and each configuration's base agent for the report; a rerun
with a different model, temperature, domain, split, seed, user or step limit is refused, because
its records would be mixed with the old ones.

``--configs`` mini-language (comma-separated; specialist codes joined by ``+``)::

    react | fc | tau2-llm-agent
    irma | irma:fc                          IRMA-style on ReAct (default) or FC
    fama:dce+mem | fama:fc:dce+mem          FAMA with an explicit subset, on ReAct or FC
    fama-profile:PATH | fama-profile:fc:PATH   FAMA with a failure profile's recommended subset
    fama-compiled:PATH                      a compiled program (its base mode is read from the file)

Any item may end in ``@SETTINGS``: a decoding mode and/or an id policy joined by ``/``
(``react@json``, ``fama:dce+mem@free/ids-free``, ``react@ids-free``); without it the item uses
``--decoding`` / ``--id-policy``. The setting is part of the configuration's name.

Trials (episodes and decision points alike): at temperature 0 a deterministic server gives the
same answer every trial (the bench warns). At temperature > 0 each trial's fama-dspy agent calls
use ``rollout_id`` = the trial's seed, so DSPy's response cache neither replays trial 0 in later
trials nor mixes trials; τ²'s reference agent gets the seed through τ²'s own ``set_seed``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from fama_dspy.commands.options import add_decoding_args, add_model_args, add_task_args, task_ids_arg
from fama_dspy.errors import ConfigError

MODES = ("decisions", "solo", "interactive")
DEFAULT_CONFIGS = "react,irma,fama:dce+mem"
DEFAULT_MODES = "decisions"
#: Small by default: a 2-core machine runs a 1.5B model at a few seconds per LM call.
DEFAULT_NUM_TASKS = 3
DEFAULT_MAX_STEPS = 30
BASES = ("react", "fc")
DECISION_VIEWS = ("interactive", "solo")
#: Manifest fields that must match on a rerun into the same directory.
IDENTITY_FIELDS = ("model", "temperature", "domain", "split", "seed", "user", "max_steps", "decision_view")

console = Console(width=None if sys.stdout.isatty() else 200)


# -- the --configs mini-language ----------------------------------------------------------------


@dataclass(frozen=True)
class ConfigSpec:
    """One item of ``--configs``, as the agent options ``options.agent_choice`` reads."""

    spec: str
    agent: str
    base: str | None = None
    specialists: str | None = None
    profile: str | None = None
    program: str | None = None
    decoding: str | None = None
    id_policy: str | None = None

    def agent_args(
        self, model: str, decoding: str | None = None, id_policy: str | None = None
    ) -> argparse.Namespace:
        return argparse.Namespace(
            agent=self.agent,
            base=self.base,
            specialists=self.specialists,
            profile=self.profile,
            program=self.program,
            memory_k=None,
            no_verify_revise=False,
            name=None,
            model=model,
            decoding=self.decoding or decoding,
            id_policy=self.id_policy or id_policy,
        )


def _split_settings(spec: str) -> tuple[str, str | None, str | None]:
    """``react@json/ids-free`` → ("react", "json", "free")."""
    head, sep, tail = spec.rpartition("@")
    if not sep:
        return spec, None, None
    from fama_dspy.decoding import DECODING_MODES, ID_POLICIES

    decoding = id_policy = None
    for part in filter(None, (p.strip() for p in tail.split("/"))):
        if part in DECODING_MODES and decoding is None:
            decoding = part
        elif part.startswith("ids-") and part[4:] in ID_POLICIES and id_policy is None:
            id_policy = part[4:]
        else:
            raise ConfigError(
                f"config {spec!r}: unknown setting {part!r} after '@'; use one of {', '.join(DECODING_MODES)} "
                f"and/or ids-{'|ids-'.join(ID_POLICIES)}, joined by '/'"
            )
    return head, decoding, id_policy


def _split_base(rest: str) -> tuple[str | None, str]:
    """``fc:dce+mem`` → ("fc", "dce+mem"); ``dce+mem`` → (None, "dce+mem")."""
    head, sep, tail = rest.partition(":")
    if sep and head in BASES:
        return head, tail
    return None, rest


def parse_config_spec(text: str) -> ConfigSpec:
    import dataclasses

    full = text.strip()
    spec, decoding, id_policy = _split_settings(full)
    parsed = _parse_config_body(spec)
    return dataclasses.replace(parsed, spec=full, decoding=decoding, id_policy=id_policy)


def _parse_config_body(spec: str) -> ConfigSpec:
    kind, sep, rest = spec.partition(":")
    if kind in ("react", "fc", "tau2-llm-agent"):
        if sep:
            raise ConfigError(f"config {spec!r}: {kind} takes no options")
        return ConfigSpec(spec=spec, agent=kind)
    if kind == "irma":
        if sep and rest not in BASES:
            raise ConfigError(f"config {spec!r}: IRMA's only option is its base, one of {', '.join(BASES)}")
        return ConfigSpec(spec=spec, agent="irma", base=rest or None)
    if kind == "fama":
        base, subset = _split_base(rest)
        if not subset:
            raise ConfigError(
                f"config {spec!r}: give FAMA's specialists, e.g. fama:dce+mem or fama:fc:dce+mem"
            )
        return ConfigSpec(spec=spec, agent="fama", base=base, specialists=subset.replace("+", ","))
    if kind == "fama-profile":
        base, path = _split_base(rest)
        if not path:
            raise ConfigError(
                f"config {spec!r}: give the failure profile, e.g. fama-profile:data/profile.json"
            )
        return ConfigSpec(spec=spec, agent="fama", base=base, profile=path)
    if kind == "fama-compiled":
        if not rest:
            raise ConfigError(
                f"config {spec!r}: give the compiled program, e.g. fama-compiled:data/compiled/x.json"
            )
        return ConfigSpec(spec=spec, agent="fama-compiled", program=rest)
    raise ConfigError(
        f"unknown config {spec!r}; use react, fc, tau2-llm-agent, irma[:fc], fama[:fc]:CODES, "
        "fama-profile[:fc]:PATH or fama-compiled:PATH"
    )


def parse_configs(text: str) -> list[ConfigSpec]:
    specs = [parse_config_spec(item) for item in text.split(",") if item.strip()]
    if not specs:
        raise ConfigError("--configs is empty")
    return specs


def parse_modes(text: str) -> tuple[str, ...]:
    wanted = {m.strip() for m in text.split(",") if m.strip()}
    unknown = sorted(wanted - set(MODES))
    if unknown or not wanted:
        raise ConfigError(f"unknown mode(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(MODES)}")
    return tuple(m for m in MODES if m in wanted)  # cheap decision-level results come first


def program_base(path: str | Path) -> str | None:
    """The base mode a compiled program wraps, from its saved ``fama`` settings block."""
    settings = json.loads(Path(path).read_text(encoding="utf-8")).get("fama") or {}
    base = settings.get("base")
    return base if base in BASES else None


def config_base(spec: ConfigSpec) -> str | None:
    """The base configuration a bench configuration is compared with (None: it is one, or has none)."""
    if spec.agent in ("react", "fc", "tau2-llm-agent"):
        return None
    if spec.agent == "fama-compiled":
        return program_base(spec.program)
    return spec.base or "react"


# -- distinct samples per trial -----------------------------------------------------------------


class TrialRollouts:
    """One copy of an LM per trial seed, with ``rollout_id`` = seed (see the module docstring).

    Copies are kept so the bench can add up their histories (server prompt-cache statistics).
    """

    def __init__(self) -> None:
        self._copies: dict[tuple[int, int], Any] = {}
        self._lock = threading.Lock()

    def lm_for(self, lm, seed: int):
        with self._lock:
            key = (id(lm), seed)
            if key not in self._copies:
                self._copies[key] = lm.copy(rollout_id=seed)
            return self._copies[key]

    def copies(self) -> list:
        with self._lock:
            return list(self._copies.values())


class TrialSampledAgent:
    """Wraps a fama-dspy agent: τ²'s orchestrator hands it the trial seed (``set_seed``), and every
    decision then runs on the LM copy for that seed."""

    def __init__(self, agent: Any, rollouts: TrialRollouts):
        self.agent = agent
        self.rollouts = rollouts
        self.seed: int | None = None

    def set_seed(self, seed: int) -> None:
        self.seed = seed
        if callable(getattr(self.agent, "set_seed", None)):
            self.agent.set_seed(seed)

    def __call__(self, state):
        import dspy

        lm = dspy.settings.lm
        if self.seed is None or lm is None:
            return self.agent(state=state)
        with dspy.context(lm=self.rollouts.lm_for(lm, self.seed)):
            return self.agent(state=state)


# -- the bench ----------------------------------------------------------------------------------


@dataclass
class BenchPlan:
    """What to run: every configuration × every mode on one task selection."""

    domain: str
    configs: list[ConfigSpec]
    modes: tuple[str, ...] = ("decisions",)
    split: str = "test"
    task_ids: list[str] | None = None
    num_tasks: int | None = DEFAULT_NUM_TASKS
    trials: int = 1
    seed: int | None = None
    max_steps: int = DEFAULT_MAX_STEPS
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


@dataclass
class _Config:
    spec: ConfigSpec
    name: str
    description: str
    base: str | None
    factory: Any
    tau2_llm: bool


def _lm_label(lm) -> str:
    """The model an LM runs, as the manifest records it (``local`` resolved to the embedded model's name)."""
    route = getattr(lm, "fama_route", None)
    if route is not None:
        return f"local:{route.local_model}" if route.is_local else route.spec
    return str(getattr(lm, "model", lm))


def _resolve_configs(plan: BenchPlan, model: str) -> list[_Config]:
    from fama_dspy.commands.options import agent_choice

    resolved = []
    for spec in plan.configs:
        choice = agent_choice(spec.agent_args(model, plan.decoding, plan.id_policy), domain=plan.domain)
        resolved.append(
            _Config(spec, choice.name, choice.description, config_base(spec), choice.factory, choice.tau2_llm)
        )
    names = [c.name for c in resolved]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"configurations named twice: {', '.join(duplicates)}")
    return resolved


def _check_plan(plan: BenchPlan) -> None:
    from fama_dspy.benchmarks.tau2.tasks import SOLO_DOMAINS, check_domain

    check_domain(plan.domain)
    if not plan.configs:
        raise ConfigError("no configurations to run")
    unknown = sorted(set(plan.modes) - set(MODES))
    if unknown or not plan.modes:
        raise ConfigError(f"unknown mode(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(MODES)}")
    if "solo" in plan.modes and plan.domain not in SOLO_DOMAINS:
        raise ConfigError(f"{plan.domain} has no solo mode (solo exists for {', '.join(SOLO_DOMAINS)})")
    if plan.decision_view == "solo" and "decisions" in plan.modes and plan.domain not in SOLO_DOMAINS:
        raise ConfigError(f"{plan.domain} has no solo view for decision points")
    if plan.decision_view not in DECISION_VIEWS:
        raise ConfigError(f"decision view must be one of {', '.join(DECISION_VIEWS)}")
    if plan.trials < 1 or plan.max_steps < 1 or plan.concurrency < 1:
        raise ConfigError("trials, max steps and concurrency must be at least 1")


def _manifest(
    plan: BenchPlan,
    out: Path,
    model: str,
    temperature,
    seeds: list[int],
    configs: list[_Config],
    user_model: str | None,
) -> dict:
    """The new manifest, merged with the directory's existing one (refused if they disagree)."""
    from fama_dspy.report.manifest import MANIFEST_VERSION, package_versions, read_manifest

    now = datetime.now(UTC).isoformat(timespec="seconds")
    fresh = {
        "version": MANIFEST_VERSION,
        "created_at": now,
        "updated_at": now,
        "model": model,
        "temperature": temperature,
        "domain": plan.domain,
        "split": plan.split,
        "seed": plan.seed,
        "user": plan.user if "interactive" in plan.modes else None,
        "user_model": user_model,
        "max_steps": plan.max_steps,
        "decision_view": plan.decision_view,
        "task_ids": plan.task_ids,
        "num_tasks": plan.num_tasks,
        "trials": plan.trials,
        "seeds": seeds,
        "modes": list(plan.modes),
        "configs": [
            {"name": c.name, "spec": c.spec.spec, "base": c.base, "description": c.description}
            for c in configs
        ],
        "base_map": {c.name: c.base for c in configs},
        "versions": package_versions(),
    }
    old = read_manifest(out)
    if old is None:
        return fresh
    for key in IDENTITY_FIELDS:
        if key == "user" and (old.get(key) is None or fresh[key] is None):
            continue  # a bench without interactive episodes fixed no user
        if old.get(key) != fresh[key]:
            raise ConfigError(
                f"{out} holds a bench with {key} = {old.get(key)!r}, not {fresh[key]!r}; its records would be "
                "mixed with these. Use another --out, or the same settings to resume."
            )
    if old.get("versions") != fresh["versions"]:
        console.print(
            f"[yellow]{escape(str(out))} was started with {escape(str(old.get('versions')))}; now "
            f"{escape(str(fresh['versions']))}: its records will mix versions.[/yellow]"
        )
    configs_by_name = {c["name"]: c for c in old.get("configs", [])}
    configs_by_name.update({c["name"]: c for c in fresh["configs"]})
    return {
        **fresh,
        "created_at": old.get("created_at", now),
        "user": fresh["user"] or old.get("user"),
        "user_model": fresh["user_model"] or old.get("user_model"),
        "trials": max(int(old.get("trials") or 1), plan.trials),
        "seeds": seeds if len(seeds) >= len(old.get("seeds") or []) else old["seeds"],
        "modes": [m for m in MODES if m in set(old.get("modes", [])) | set(plan.modes)],
        "configs": list(configs_by_name.values()),
        "base_map": {**(old.get("base_map") or {}), **fresh["base_map"]},
        "versions": old.get("versions", fresh["versions"]),
    }


def run_bench(
    plan: BenchPlan,
    out: Path | str,
    lm,
    *,
    model: str | None = None,
    user_lm=None,
    user_llm: tuple[str, dict] | None = None,
    tau2_agent_llm: tuple[str, dict] | None = None,
    progress: bool = True,
) -> BenchResult:
    """Run every configuration of ``plan`` on the same selection, into ``out``; write the report.

    ``lm`` is the agents' ``dspy.LM``; ``model`` names it in the manifest (default: its route spec
    or model string). The interactive user is ``user_lm`` (default ``lm``) for ``user="fama"``, or
    τ²'s simulator on ``user_llm`` = (LiteLLM model, args) for ``user="tau2"``. ``tau2_agent_llm``
    is (LiteLLM model, args) for the ``tau2-llm-agent`` configuration.
    """
    import dspy

    from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points
    from fama_dspy.benchmarks.tau2.runner import default_seeds, run_episodes
    from fama_dspy.report.manifest import write_manifest
    from fama_dspy.report.writer import write_report
    from fama_dspy.results.decisions import RECOMMENDED_POINTS, evaluate_decisions

    _check_plan(plan)
    out = Path(out)
    model = model or _lm_label(lm)
    temperature = (getattr(lm, "kwargs", None) or {}).get("temperature")
    configs = _resolve_configs(plan, model)
    if any(c.tau2_llm for c in configs) and tau2_agent_llm is None:
        raise ConfigError(
            "tau2-llm-agent needs the model as a LiteLLM string (the CLI builds it from --model)"
        )
    if "interactive" in plan.modes and plan.user == "tau2" and user_llm is None:
        raise ConfigError(
            "the tau2 user simulator needs a LiteLLM model (the CLI builds it from --user-model)"
        )
    seeds = (
        [plan.seed + i for i in range(plan.trials)] if plan.seed is not None else default_seeds(plan.trials)
    )
    rollouts: TrialRollouts | None = None
    if plan.trials > 1:
        if not temperature:
            console.print(
                f"[yellow]{plan.trials} trials at temperature {temperature}: a deterministic server "
                "repeats the same answer every trial. Use --temperature 0.7 for distinct trials.[/yellow]"
            )
        else:
            rollouts = TrialRollouts()
    out.mkdir(parents=True, exist_ok=True)
    user_model = None
    if "interactive" in plan.modes:
        user_model = {
            "fama": _lm_label(user_lm) if user_lm is not None else model,
            "tau2": user_llm[0] if user_llm else None,
        }.get(plan.user)
    manifest = _manifest(plan, out, model, temperature, seeds, configs, user_model)
    write_manifest(out, manifest)
    task_ids = plan.task_ids
    num_tasks = None if task_ids else plan.num_tasks  # explicit ids override the default count
    skipped: list[str] = []

    with dspy.context(lm=lm):
        for mode in plan.modes:
            if mode == "decisions":
                points = iter_decision_points(
                    plan.domain,
                    plan.split,
                    task_ids=task_ids,
                    num_tasks=num_tasks,
                    solo=plan.decision_view == "solo",
                )
                if len(points) < RECOMMENDED_POINTS:
                    console.print(
                        f"[yellow]{len(points)} decision points: differences of a few points need ≥ "
                        f"{RECOMMENDED_POINTS} (one point = {100 / max(1, len(points)):.1f} %).[/yellow]"
                    )
                for config in configs:
                    if config.tau2_llm:
                        skipped.append(f"{config.name}: decisions (τ²'s llm_agent runs only as episodes)")
                        continue
                    evaluate_decisions(
                        config.factory(),
                        points,
                        out,
                        config_name=config.name,
                        concurrency=plan.concurrency,
                        progress=progress,
                        # a seed only labels a trial when it picks the trial's samples
                        seeds=seeds if rollouts else [None] * plan.trials,
                        lm_for_seed=(lambda s, base=lm: rollouts.lm_for(base, s)) if rollouts else None,
                    )
                continue
            solo = mode == "solo"
            user_kwargs: dict[str, Any] = {}
            if not solo and plan.user == "fama":
                user_kwargs = {"user_lm": user_lm or lm}
            elif not solo and plan.user == "tau2":
                user_kwargs = {"user_llm": user_llm[0], "user_llm_args": user_llm[1]}
            for config in configs:
                if config.tau2_llm:
                    agent_kwargs: dict[str, Any] = {
                        "agent_llm": tau2_agent_llm[0],
                        "agent_llm_args": tau2_agent_llm[1],
                    }
                elif rollouts is not None:
                    factory = config.factory
                    agent_kwargs = {"agent_factory": lambda f=factory: TrialSampledAgent(f(), rollouts)}
                else:
                    agent_kwargs = {"agent_factory": config.factory}
                run_episodes(
                    **agent_kwargs,
                    config_name=config.name,
                    domain=plan.domain,
                    split=plan.split,
                    task_ids=task_ids,
                    num_tasks=num_tasks,
                    trials=plan.trials,
                    seeds=seeds,
                    max_steps=plan.max_steps,
                    concurrency=plan.concurrency,
                    solo=solo,
                    user=plan.user,
                    out=out,
                    progress=progress,
                    **user_kwargs,
                )
    for line in skipped:
        console.print(f"[yellow]skipped {escape(line)}[/yellow]")
    _print_cache_stats([lm, *(rollouts.copies() if rollouts else [])])
    return BenchResult(report=write_report(out), manifest=manifest, skipped=skipped)


def _print_cache_stats(lms: Sequence) -> None:
    from fama_dspy.lm_calls import prompt_cache_stats

    stats = prompt_cache_stats([entry for lm in lms for entry in (getattr(lm, "history", None) or [])])
    if stats["requests"]:
        console.print(
            f"server prompt cache: {stats['cached_tokens']}/{stats['prompt_tokens']} prompt tokens reused "
            f"({stats['cached_share']:.0%}) over {stats['requests']} server requests"
        )


# -- command line -------------------------------------------------------------------------------


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "bench",
        help="compare agent configurations on the same τ²-bench tasks, then write a report",
        description="Every configuration runs on the same tasks, decision points, trials and seeds, into one "
        "run directory; rerunning the same command resumes. The report (report.md, summary.csv, "
        "summary.json, PNGs) is written to <out>/report.",
        epilog="--configs: react | fc | tau2-llm-agent | irma[:fc] | fama[:fc]:CODES (e.g. fama:dce+mem) | "
        "fama-profile[:fc]:PATH | fama-compiled:PATH",
    )
    add_model_args(parser)
    add_task_args(parser)
    parser.set_defaults(split="test", num_tasks=DEFAULT_NUM_TASKS)
    add_decoding_args(parser)
    bench = parser.add_argument_group("bench")
    bench.add_argument(
        "--configs", default=DEFAULT_CONFIGS, help=f"comma-separated (default {DEFAULT_CONFIGS})"
    )
    bench.add_argument(
        "--modes",
        default=DEFAULT_MODES,
        help=f"comma-separated from {', '.join(MODES)} (default {DEFAULT_MODES})",
    )
    bench.add_argument(
        "--decision-view",
        default="interactive",
        choices=DECISION_VIEWS,
        help="decision points as the interactive agent or the solo agent sees them",
    )
    bench.add_argument(
        "--user",
        default="fama",
        choices=["fama", "tau2", "scripted"],
        help="user simulator of interactive episodes",
    )
    bench.add_argument(
        "--user-model", default=None, help="model spec of the user simulator (default: --model)"
    )
    bench.add_argument("--trials", type=int, default=1)
    bench.add_argument(
        "--seed", type=int, default=None, help="base seed; trial i uses seed+i (default: τ²'s)"
    )
    bench.add_argument("--max-steps", type=int, default=DEFAULT_MAX_STEPS)
    bench.add_argument("--concurrency", type=int, default=1, help="episodes (or points) in flight")
    bench.add_argument("--out", required=True, type=Path)
    parser.set_defaults(handler=bench_command)


def plan_from_args(args: argparse.Namespace) -> BenchPlan:
    return BenchPlan(
        domain=args.domain,
        configs=parse_configs(args.configs),
        modes=parse_modes(args.modes),
        split=args.split,
        task_ids=task_ids_arg(args),
        num_tasks=args.num_tasks,
        trials=args.trials,
        seed=args.seed,
        max_steps=args.max_steps,
        concurrency=args.concurrency,
        user=args.user,
        decision_view=args.decision_view,
        decoding=args.decoding,
        id_policy=args.id_policy,
    )


def bench_command(args: argparse.Namespace, lm=None) -> int:
    """Run ``fama bench``; ``lm`` replaces the model built from ``--model`` (tests pass a scripted LM)."""
    from fama_dspy.commands.options import make_lm_from_args
    from fama_dspy.commands.report import print_report

    plan = plan_from_args(args)
    if lm is None:
        lm = make_lm_from_args(args)
    model = _lm_label(lm)
    user_lm = user_llm = tau2_agent_llm = None
    if "interactive" in plan.modes and plan.user in ("fama", "tau2"):
        user_spec = args.user_model or args.model
        if plan.user == "tau2":
            from fama_dspy.lm import resolve

            user_llm = resolve(user_spec, api_base=args.api_base, api_key=args.api_key).tau2_llm()
        elif args.user_model:
            from fama_dspy.lm import make_lm

            user_lm = make_lm(args.user_model)
    if any(spec.agent == "tau2-llm-agent" for spec in plan.configs):
        from fama_dspy.lm import resolve

        tau2_agent_llm = resolve(args.model, api_base=args.api_base, api_key=args.api_key).tau2_llm(
            args.temperature
        )
    console.print(
        escape(
            f"bench: {', '.join(s.spec for s in plan.configs)} · {', '.join(plan.modes)} · "
            f"model {model} · {plan.domain} {plan.split} · out {args.out}"
        )
    )
    result = run_bench(
        plan, args.out, lm, model=model, user_lm=user_lm, user_llm=user_llm, tau2_agent_llm=tau2_agent_llm
    )
    print_report(result.report, console)
    return 0

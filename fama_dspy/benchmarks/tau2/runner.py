"""Run episodes: τ²'s orchestrator and evaluator, driven directly, one JSON line per episode.

Not ``tau2.run.run_task``/``run_tasks``: they reject agents that are not ``LLMAgent`` subclasses
(``NameError: GymAgent``), write inside the installed package without ``results_dir``, prompt
on stdin when the output exists, replace the process's loguru sinks, and let one malformed model
reply kill the whole run. Here:
- each finished episode is appended to ``<out>/episodes.jsonl`` immediately (durable);
- a rerun with the same ``out`` skips the (config, domain, solo, user, task, trial) keys present;
- an exception inside an episode (τ²'s JSON decode of a tool call, an empty reply, an evaluator
  failure) is recorded as ``termination: "error"`` with reward 0 and the reason, never dropped;
- a refused connection to the model server, or an exception building the agent, stops the run
  (after the in-flight episodes are written), because every later episode would fail the same way.
"""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dspy
from rich.console import Console
from tau2.data_model.tasks import Task
from tau2.evaluator.evaluator import EvaluationType, evaluate_simulation
from tau2.orchestrator.orchestrator import Orchestrator

from fama_dspy.benchmarks.tau2.baseline import BASELINE_CONFIG
from fama_dspy.benchmarks.tau2.builders import (
    AgentBuilder,
    UserBuilder,
    fama_agent_builder,
    llm_agent_builder,
    make_environment,
    user_builder,
)
from fama_dspy.benchmarks.tau2.convert import tools_to_specs
from fama_dspy.benchmarks.tau2.records import (
    dump_messages,
    repeated_calls,
    reward_breakdown,
    reward_details,
    user_token_totals,
)
from fama_dspy.benchmarks.tau2.tasks import load_tasks, normalize_split
from fama_dspy.episodes.schedule import (
    plan_episodes,
    print_resume_note,
    records_in_plan_order,
    run_episode_jobs,
)
from fama_dspy.errors import ConfigError
from fama_dspy.results.fatal import as_endpoint_error, is_endpoint_failure
from fama_dspy.results.records import (
    EPISODES_FILE,
    RECORD_VERSION,
    JsonlAppender,
    decision_totals,
    episode_key,
    is_success,
    load_episodes,
)
from fama_dspy.user_sim.user_role import user_role_issues

DEFAULT_BASE_SEED = 300  # τ²'s default: the same per-trial seeds as `tau2 run`
DEFAULT_MAX_STEPS = 100
DEFAULT_MAX_ERRORS = 10


def default_seeds(trials: int, base_seed: int = DEFAULT_BASE_SEED) -> list[int]:
    """τ²'s per-trial seeds: ``random.seed(base); [randint(0, 1e6) for each trial]``."""
    rng = random.Random(base_seed)
    return [rng.randint(0, 1_000_000) for _ in range(trials)]


@dataclass(frozen=True)
class EpisodeSettings:
    config_name: str
    agent_kind: str
    domain: str
    split: str
    solo: bool
    user_kind: str
    max_steps: int
    max_errors: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _base_record(settings: EpisodeSettings, task: Task, trial: int, seed: int) -> dict[str, Any]:
    return {
        "version": RECORD_VERSION,
        "benchmark": "tau2",
        "config": settings.config_name,
        "agent": settings.agent_kind,
        "domain": settings.domain,
        "split": settings.split,
        "task_id": task.id,
        "trial": trial,
        "seed": seed,
        "solo": settings.solo,
        "user": settings.user_kind,
        "max_steps": settings.max_steps,
        "max_errors": settings.max_errors,
    }


def run_episode(
    task: Task,
    trial: int,
    seed: int,
    settings: EpisodeSettings,
    agent_builder: AgentBuilder,
    make_user: UserBuilder,
) -> dict[str, Any]:
    """One simulation + evaluation → one record. Builder errors and refused connections propagate."""
    environment = make_environment(settings.domain, settings.solo)
    agent = agent_builder(task, environment, settings.solo)
    user = make_user(task, environment, settings.solo)
    orchestrator = Orchestrator(
        domain=settings.domain,
        agent=agent,
        user=user,
        environment=environment,
        task=task,
        max_steps=settings.max_steps,
        max_errors=settings.max_errors,
        seed=seed,
        solo_mode=settings.solo,
    )
    record = _base_record(settings, task, trial, seed)
    record["started_at"] = _now()
    started = time.perf_counter()
    error: BaseException | None = None
    stage = "simulation"
    simulation = reward_info = None
    try:
        simulation = orchestrator.run()
        stage = "evaluation"
        reward_info = evaluate_simulation(
            simulation=simulation,
            task=task,
            evaluation_type=EvaluationType.ALL,
            solo_mode=settings.solo,
            domain=settings.domain,
        )
        simulation.reward_info = reward_info
    except Exception as exc:
        if is_endpoint_failure(exc):
            raise as_endpoint_error(exc) from exc
        error = exc
    duration = time.perf_counter() - started

    messages = simulation.messages if simulation is not None else list(orchestrator.trajectory)
    decisions = list(getattr(agent, "decisions", []) or [])
    issues = user_role_issues(messages) if not settings.solo else []
    user_stats = user.stats() if hasattr(user, "stats") else None
    record.update(
        {
            "reward": float(reward_info.reward) if reward_info is not None else 0.0,
            "reward_breakdown": reward_breakdown(reward_info) if reward_info is not None else {},
            "reward_details": reward_details(reward_info) if reward_info is not None else None,
            "termination": simulation.termination_reason.value if error is None else "error",
            "steps": orchestrator.step_count,
            "num_messages": len(messages),
            "duration_s": round(duration, 3),
            "decisions": [d.model_dump() for d in decisions],
            "totals": {
                **decision_totals(decisions),
                **user_token_totals(messages),
                **repeated_calls(messages, {t.name for t in tools_to_specs(agent.tools) if t.writes}),
            },
            "user_in_role": None if settings.solo else not issues,
            "user_role_issues": issues,
            "user_stats": user_stats,
            "error": None if error is None else f"{type(error).__name__}: {error}",
            "error_stage": None if error is None else stage,
            "error_traceback": None if error is None else "".join(traceback.format_exception(error))[-4000:],
            "messages": dump_messages(messages),
        }
    )
    record["success"] = error is None and is_success(record["reward"])
    record["gold_actions"] = _gold_action_matches(record["reward_details"])
    return record


def _gold_action_matches(details: dict[str, Any] | None) -> dict[str, list[str]] | None:
    if not details or not details.get("action_checks"):
        return None
    checks = details["action_checks"]
    return {
        "matched": [c["action_id"] for c in checks if c["matched"]],
        "missed": [c["action_id"] for c in checks if not c["matched"]],
    }


def _resolve_agent(
    agent_factory: Callable[[], Any] | None,
    agent_llm: str | None,
    agent_llm_args: dict | None,
    agent_builder: AgentBuilder | None,
    config_name: str | None,
    max_reasks: int,
) -> tuple[AgentBuilder, str, str]:
    """(builder, agent kind, config name) from whichever of the three agent sources was given."""
    given = [x is not None for x in (agent_factory, agent_llm, agent_builder)]
    if sum(given) != 1:
        raise ConfigError(
            "give exactly one of agent_factory, agent_llm (τ²'s reference agent) or agent_builder"
        )
    if agent_llm is not None:
        return llm_agent_builder(agent_llm, agent_llm_args), "tau2-llm-agent", config_name or BASELINE_CONFIG
    if not config_name:
        raise ConfigError("config_name is required: it names the agent configuration in the records")
    if agent_factory is not None:
        return fama_agent_builder(agent_factory, max_reasks=max_reasks), "fama", config_name
    return agent_builder, "custom", config_name


def run_episodes(
    agent_factory: Callable[[], Any] | None = None,
    *,
    domain: str,
    out: Path | str,
    config_name: str | None = None,
    split: str | None = None,
    task_ids: Sequence[str] | None = None,
    num_tasks: int | None = None,
    trials: int = 1,
    seeds: Sequence[int] | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    max_errors: int = DEFAULT_MAX_ERRORS,
    concurrency: int = 1,
    solo: bool = False,
    user: str = "fama",
    user_llm: str | None = None,
    user_llm_args: dict | None = None,
    user_lm: dspy.LM | None = None,
    agent_llm: str | None = None,
    agent_llm_args: dict | None = None,
    agent_builder: AgentBuilder | None = None,
    agent_kind: str | None = None,
    max_reasks: int = 2,
    retry_errors: bool = False,
    progress: bool = True,
    console: Console | None = None,
) -> list[dict[str, Any]]:
    """Run (or resume) ``trials`` episodes of each selected task; return their records.

    The agent is one of: ``agent_factory`` (a no-argument callable returning a fresh fama-dspy
    agent per episode), ``agent_llm``/``agent_llm_args`` (τ²'s reference agent, config
    ``tau2-llm-agent``) or ``agent_builder`` (see ``builders.py``; e.g. ``gold_agent_builder()``).
    The user (interactive mode) is ``fama`` (``user_lm``, or ``user_llm``/``user_llm_args``, or
    DSPy's configured LM), ``tau2`` (``user_llm``/``user_llm_args``) or ``scripted`` (no LLM).
    ``retry_errors`` reruns keys whose record is an error (the new line supersedes the old).
    """
    if trials < 1 or max_steps < 1 or max_errors < 1 or concurrency < 1:
        raise ConfigError("trials, max_steps, max_errors and concurrency must be at least 1")
    builder, kind, config_name = _resolve_agent(
        agent_factory, agent_llm, agent_llm_args, agent_builder, config_name, max_reasks
    )
    make_user = user_builder(user, llm=user_llm, llm_args=user_llm_args, lm=user_lm)
    seeds = list(seeds) if seeds is not None else default_seeds(trials)
    if len(seeds) != trials:
        raise ConfigError(f"{len(seeds)} seeds given for {trials} trials")
    tasks = load_tasks(domain, split, task_ids=task_ids, num_tasks=num_tasks, solo=solo)
    settings = EpisodeSettings(
        config_name=config_name,
        agent_kind=agent_kind or kind,
        domain=domain,
        split=normalize_split(domain, split),
        solo=solo,
        user_kind="none" if solo else user,
        max_steps=max_steps,
        max_errors=max_errors,
    )
    console = console or Console(stderr=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    appender = JsonlAppender(out / EPISODES_FILE)

    def key(task: Task, trial: int) -> tuple:
        return episode_key({**_base_record(settings, task, trial, 0)})

    plan = plan_episodes(tasks, seeds, key, {episode_key(r): r for r in load_episodes(out)}, retry_errors)
    if progress and solo:
        skipped = len(load_tasks(domain, split, task_ids=task_ids, num_tasks=None, solo=False)) - len(
            load_tasks(domain, split, task_ids=task_ids, num_tasks=None, solo=True)
        )
        if skipped:
            console.print(
                f"[yellow]{skipped} task(s) left out: τ² cannot run them solo (no ticket or gold actions)."
            )
    if progress:
        print_resume_note(plan, console, out / EPISODES_FILE)

    def job(task: Task, trial: int, seed: int) -> dict[str, Any]:
        record = run_episode(task, trial, seed, settings, builder, make_user)
        appender.append(record)  # in the worker: whatever finishes is saved, even while the run stops
        return record

    label = f"{settings.config_name} · {settings.domain}{' solo' if settings.solo else ''}"
    run_episode_jobs(plan.jobs, job, concurrency=concurrency, label=label, progress=progress, console=console)
    return records_in_plan_order(plan, key, {episode_key(r): r for r in load_episodes(out)})

"""Run τ-trait episodes for any agent into ``<out>/episodes.jsonl``, one line per episode, resumably.

- each finished episode is appended immediately (``results.records.JsonlAppender``);
- a rerun with the same ``out`` skips the (config, domain, user, task, trial) keys already there
  (``retry_errors`` reruns the errored ones; the new line supersedes the old);
- an exception inside an episode is recorded (``termination: "error"``, reward 0); a refused
  connection to the model server, or an exception building the agent or the customer, stops the
  run after the in-flight episodes are written, since every later episode would fail the same way.

The agent is one of: ``agent_factory`` (a fresh fama-dspy agent per episode), ``agent="gold"``
(the gold replay, ``gold.py``) or ``agent_builder`` (``task -> agent``, any callable following
the agent contract).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dspy
from rich.console import Console

from fama_dspy.benchmarks.tau_trait.customers import customer_builder
from fama_dspy.benchmarks.tau_trait.data import TauTraitTask, load_domain
from fama_dspy.benchmarks.tau_trait.episodes import BENCHMARK, EpisodeSettings, base_record, run_episode
from fama_dspy.benchmarks.tau_trait.gold import AGENT_NAME as GOLD
from fama_dspy.benchmarks.tau_trait.gold import GoldReplayAgent
from fama_dspy.benchmarks.tau_trait.tasks import load_tasks, normalize_split
from fama_dspy.episodes import DEFAULT_MAX_REASKS
from fama_dspy.episodes.schedule import (
    plan_episodes,
    print_resume_note,
    records_in_plan_order,
    run_episode_jobs,
)
from fama_dspy.episodes.seeding import seed_agent
from fama_dspy.errors import ConfigError
from fama_dspy.results.records import EPISODES_FILE, JsonlAppender, episode_key, load_episodes

#: τ-trait's runner seeds Python's RNG once with 10 for the whole run (it only shuffles the task
#: order with it); every trial records that seed, and nothing in an episode here draws from it.
DEFAULT_SEED = 10


def default_seeds(trials: int) -> list[int]:
    return [DEFAULT_SEED] * trials


def _agent_builder(
    agent_factory: Callable[[], Any] | None,
    agent: str | None,
    agent_builder: Callable[[TauTraitTask], Any] | None,
    config_name: str | None,
) -> tuple[Callable[[TauTraitTask], Any], str, str]:
    """(task → agent, agent kind, config name) from the one agent source given."""
    if sum(x is not None for x in (agent_factory, agent, agent_builder)) != 1:
        raise ConfigError(
            "give exactly one of agent_factory, agent='gold' (the gold replay) or agent_builder"
        )
    if agent is not None:
        if agent != GOLD:
            raise ConfigError(f"unknown τ-trait agent {agent!r}; the built-in one is {GOLD!r}")
        return lambda task: GoldReplayAgent(task, load_domain(task.domain)), GOLD, config_name or GOLD
    if not config_name:
        raise ConfigError("config_name is required: it names the agent configuration in the records")
    if agent_builder is not None:
        return agent_builder, "custom", config_name
    return lambda task: agent_factory(), "fama", config_name


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
    max_steps: int = 30,
    concurrency: int = 1,
    solo: bool = False,
    user: str = "fama",
    user_lm: dspy.LM | None = None,
    user_llm: str | None = None,
    user_llm_args: dict | None = None,
    agent: str | None = None,
    agent_builder: Callable[[TauTraitTask], Any] | None = None,
    max_reasks: int = DEFAULT_MAX_REASKS,
    retry_errors: bool = False,
    progress: bool = True,
    console: Console | None = None,
) -> list[dict[str, Any]]:
    """Run (or resume) ``trials`` episodes of each selected task; return their records in
    trial-major, task order.

    ``max_steps`` counts agent decisions and customer turns (the loop's convention); τ-trait's own
    agents stop after 30 agent actions, each answered by the user, so 60 here is about that limit.
    ``user``: ``fama`` (``user_lm``, or ``user_llm``/``user_llm_args``, or DSPy's LM) or ``scripted``.
    """
    if solo:
        raise ConfigError("τ-trait has no solo mode: every task is a conversation with a customer")
    if trials < 1 or max_steps < 1 or concurrency < 1:
        raise ConfigError("trials, max_steps and concurrency must be at least 1")
    make_agent, kind, config_name = _agent_builder(agent_factory, agent, agent_builder, config_name)
    make_customer = customer_builder(user, lm=user_lm, llm=user_llm, llm_args=user_llm_args)
    seeds = list(seeds) if seeds is not None else default_seeds(trials)
    if len(seeds) != trials:
        raise ConfigError(f"{len(seeds)} seeds given for {trials} trials")
    loaded = load_domain(domain)
    tasks = load_tasks(domain, split, task_ids=task_ids, num_tasks=num_tasks)
    settings = EpisodeSettings(
        config_name=config_name,
        agent_kind=kind,
        domain=domain,
        split=normalize_split(domain, split),
        user_kind=user,
        max_steps=max_steps,
        max_reasks=max_reasks,
    )
    console = console or Console(stderr=True)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    appender = JsonlAppender(out / EPISODES_FILE)

    def key(task: TauTraitTask, trial: int) -> tuple:
        return episode_key(base_record(settings, task.id, trial, None))

    def ours() -> dict[tuple, dict[str, Any]]:
        return {episode_key(r): r for r in load_episodes(out) if r.get("benchmark") == BENCHMARK}

    plan = plan_episodes(tasks, seeds, key, ours(), retry_errors)
    if progress:
        print_resume_note(plan, console, out / EPISODES_FILE)

    def job(task: TauTraitTask, trial: int, seed: int) -> dict[str, Any]:
        # trial i samples anew (agent and customer), never replays trial 0 from the response cache
        agent, customer = seed_agent(make_agent(task), seed, task.id), make_customer(task, seed)
        record = run_episode(task, trial, seed, settings, loaded, agent, customer)
        appender.append(record)  # in the worker: whatever finishes is saved, even while the run stops
        return record

    label = f"{config_name} · τ-trait {domain}"
    run_episode_jobs(plan.jobs, job, concurrency=concurrency, label=label, progress=progress, console=console)
    return records_in_plan_order(plan, key, ours())

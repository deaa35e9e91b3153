"""Run ACEBench episodes with the benchmark-neutral driver and loop, one JSON line per episode.

An episode: a fresh sandbox of ACEBench's classes (``sandbox.py``), the agent behind
``AgentDriver`` (validation before execution, re-asks, fallback) and ``run_tool_episode``:
- ``multi-step`` is solo: the ticket is the task's question, only tool calls are valid, and the
  agent ends with the stop tool ``done`` (ACEBench's agent writes "finish conversation");
- ``multi-turn`` is interactive: the user side (``customers.py``) opens, the agent's messages go
  to it, and the dialogue ends when either side writes "finish conversation" or the user's status
  says it is over.
Either way ``max_steps`` bounds it. Then ACEBench's scores (``scoring.py``): reward = end-to-end
(1/0), process accuracy beside it; ``reward_details`` keeps what they were computed from (the
result and the executed calls as ACEBench call strings), so a record can be re-scored.

Records carry the fields of τ²'s runner records (config, agent, domain, split, task_id, trial,
seed, solo, user, max_steps, reward, success, reward_breakdown, reward_details, termination,
steps, duration_s, decisions, totals, error, messages, …) plus ``"benchmark": "acebench"``. Each is
appended to ``<out>/episodes.jsonl`` as it finishes; a rerun skips the (config, domain, solo,
user, task, trial) keys already there (``retry_errors`` reruns errored ones). An exception inside
an episode is recorded (``termination: "error"``, reward 0); a refused connection to the model
server, or a failure building the agent, stops the run.

The agent is one of: ``agent_factory`` (a fresh fama-dspy agent per episode), ``agent="gold"``
(the gold replay, ``gold.py``) or ``agent_builder`` (``task -> agent``, any callable following
the agent contract).
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from fama_dspy.benchmarks.acebench.calls import render_call
from fama_dspy.benchmarks.acebench.customers import (
    AceBenchUser,
    AceCustomer,
    ScriptedCustomer,
    check_user_kind,
)
from fama_dspy.benchmarks.acebench.data import (
    CHECKOUT,
    SOLO_DOMAINS,
    AceTask,
    check_domain,
    load_tasks,
    normalize_split,
)
from fama_dspy.benchmarks.acebench.gold import GoldReplayAgent
from fama_dspy.benchmarks.acebench.prompts import acebench_user_prompt, agent_policy
from fama_dspy.benchmarks.acebench.sandbox import AceSandbox, make_sandbox
from fama_dspy.benchmarks.acebench.scoring import end_to_end, final_state, process_accuracy
from fama_dspy.benchmarks.acebench.tools import STOP_TOOL, task_tools
from fama_dspy.episodes import DEFAULT_MAX_REASKS, AgentDriver, EpisodeTrace, run_tool_episode
from fama_dspy.episodes.schedule import (
    plan_episodes,
    print_resume_note,
    records_in_plan_order,
    run_episode_jobs,
)
from fama_dspy.episodes.seeding import seed_agent, trial_lm
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

BENCHMARK = "acebench"
GOLD_AGENT = "gold"
AgentBuilder = Callable[[AceTask], Any]


def default_seeds(trials: int) -> list[int]:
    """ACEBench has no seeds; trial i records seed i."""
    return list(range(trials))


@dataclass(frozen=True)
class EpisodeSettings:
    config_name: str
    agent_kind: str
    domain: str
    split: str
    solo: bool
    user_kind: str
    max_steps: int
    max_reasks: int


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _base_record(settings: EpisodeSettings, task_id: str, trial: int, seed: int) -> dict[str, Any]:
    return {
        "version": RECORD_VERSION,
        "benchmark": BENCHMARK,
        "config": settings.config_name,
        "agent": settings.agent_kind,
        "domain": settings.domain,
        "split": settings.split,
        "task_id": task_id,
        "trial": trial,
        "seed": seed,
        "solo": settings.solo,
        "user": settings.user_kind,
        "max_steps": settings.max_steps,
    }


def state_recorded(domain: str, sandbox: AceSandbox) -> bool:
    """Whether ACEBench would have recorded a result (see ``scoring``): its multi-step executor
    records the classes after any call, its multi-turn one only after a call that did not raise."""
    return sandbox.attempted > 0 if domain in SOLO_DOMAINS else sandbox.completed > 0


def executed_calls(trace: EpisodeTrace) -> list[str]:
    """The agent's calls that reached the sandbox, as ACEBench call strings (its ``process``)."""
    return [render_call(c.name, c.arguments) for c in trace.tool_calls if c.name != STOP_TOOL]


def score_episode(task: AceTask, result: list[dict[str, Any]], process: list[str]) -> dict[str, Any]:
    """ACEBench's verdicts on one episode, as ``reward_breakdown`` and ``reward_details``."""
    state = end_to_end(result, task.ground_truth)
    steps = process_accuracy(process, task.milestones, state.valid)
    return {
        "reward": 1.0 if state.valid else 0.0,
        "reward_breakdown": {"end_to_end": 1.0 if state.valid else 0.0, "process": steps.accuracy},
        "reward_details": {
            "end_to_end": state.valid,
            "error_type": state.error_type,
            "state_errors": state.errors,
            "process_accuracy": steps.accuracy,
            "process_alternative": steps.alternative,
            "milestones_matched": steps.matched,
            "milestone_counts": [len(m) for m in task.milestones],
            "process": process,
            "result": result,
        },
    }


def repeated_calls(trace: EpisodeTrace, write_tools: set[str]) -> dict[str, int]:
    """Agent calls identical (name + arguments) to an earlier one."""
    seen: set[str] = set()
    counts = {"repeated_calls": 0, "repeated_writes": 0}
    for call in trace.tool_calls:
        signature = json.dumps([call.name, call.arguments], sort_keys=True, default=str)
        if signature in seen:
            counts["repeated_calls"] += 1
            counts["repeated_writes"] += call.name in write_tools
        seen.add(signature)
    return counts


def run_episode(
    task: AceTask,
    trial: int,
    seed: int,
    settings: EpisodeSettings,
    make_agent: AgentBuilder,
    make_customer: Callable[[AceTask, int], Any] | None,
) -> dict[str, Any]:
    """One episode → one record. Building the agent and refused connections propagate."""
    root = CHECKOUT.path()
    tools = task_tools(task.functions, settings.solo)
    agent = seed_agent(make_agent(task), seed, task.id)  # samples anew: no replay of trial 0 or a twin task
    driver = AgentDriver(
        agent,
        tools,
        agent_policy(root, task.domain, task.involved_classes),
        ticket=task.question if settings.solo else None,
        solo=settings.solo,
        stop_tool=STOP_TOOL if settings.solo else None,
        max_reasks=settings.max_reasks,
    )
    sandbox = make_sandbox(root, task.domain, task.involved_classes, task.initial_config)
    customer = None if settings.solo or make_customer is None else make_customer(task, seed)
    record = _base_record(settings, task.id, trial, seed)
    record["started_at"] = _now()
    started = time.perf_counter()
    try:
        trace = run_tool_episode(driver, sandbox, customer=customer, max_steps=settings.max_steps)
    except Exception as exc:
        if is_endpoint_failure(exc):
            raise as_endpoint_error(exc) from exc
        raise
    duration = time.perf_counter() - started

    error, stage = trace.error, "simulation"
    try:
        result = final_state(sandbox.instances) if state_recorded(task.domain, sandbox) else []
        scores = score_episode(task, result, executed_calls(trace))
    except Exception as exc:  # noqa: BLE001 - a scoring failure is recorded, never lost
        error, stage = f"{type(exc).__name__}: {exc}", "evaluation"
        scores = {"reward": 0.0, "reward_breakdown": {}, "reward_details": None}
        error_trace = traceback.format_exc()[-4000:]
    else:
        error_trace = None
    issues = [] if settings.solo else user_role_issues(trace.messages)
    stats = customer.stats() if customer is not None and hasattr(customer, "stats") else None
    record.update(
        {
            **scores,
            "reward": 0.0 if error else scores["reward"],
            "termination": "error" if error else trace.termination,
            "steps": trace.steps,
            "num_messages": len(trace.messages),
            "duration_s": round(duration, 3),
            "decisions": [d.model_dump() for d in trace.decisions],
            "totals": {
                **decision_totals(trace.decisions),
                **repeated_calls(trace, {t.name for t in tools if t.writes}),
                "tool_errors": sum(1 for m in trace.messages if m.role == "tool" and m.error),
            },
            "user_in_role": None if settings.solo else not issues,
            "user_role_issues": issues,
            "user_stats": stats,
            "error": error,
            "error_stage": stage if error else None,
            "error_traceback": error_trace if error else None,
            "messages": [m.model_dump() for m in trace.messages],
        }
    )
    record["success"] = error is None and is_success(record["reward"])
    return record


def _agent_builder(
    agent_factory: Callable[[], Any] | None, agent: str | None, agent_builder: AgentBuilder | None
) -> tuple[AgentBuilder, str]:
    given = [agent_factory is not None, agent is not None, agent_builder is not None]
    if sum(given) != 1:
        raise ConfigError("give exactly one of agent_factory, agent='gold' or agent_builder")
    if agent is not None:
        if agent != GOLD_AGENT:
            raise ConfigError(f"unknown ACEBench agent {agent!r}; the built-in one is {GOLD_AGENT!r}")
        return GoldReplayAgent, GOLD_AGENT
    if agent_factory is not None:
        return (lambda task: agent_factory()), "fama"
    return agent_builder, "custom"


def _customer_builder(
    kind: str, user_lm: Any, user_llm: str | None, user_llm_args: dict | None
) -> Callable[[AceTask, int], Any]:
    """``(task, trial seed) -> customer``; an LLM user samples each trial anew (``trial_lm``)."""
    check_user_kind(kind)
    if kind == "scripted":
        return lambda task, seed: ScriptedCustomer(task.question)
    import dspy

    lm = user_lm
    if lm is None and user_llm:
        lm = dspy.LM(user_llm, **(user_llm_args or {}))
    if lm is None and dspy.settings.lm is None:
        # Otherwise every user turn would fail and fall back to a canned reply.
        raise ConfigError(
            f"the {kind} user simulator needs a model: pass user_lm or user_llm, or configure DSPy"
        )
    if kind == "acebench":
        return lambda task, seed: AceBenchUser(
            acebench_user_prompt(CHECKOUT.path(), task.question, task.involved_classes),
            lm=trial_lm(lm or dspy.settings.lm, seed, task.id),
        )
    return lambda task, seed: AceCustomer(task.question, lm=trial_lm(lm or dspy.settings.lm, seed, task.id))


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
    solo: bool | None = None,
    user: str = "fama",
    user_lm: Any = None,
    user_llm: str | None = None,
    user_llm_args: dict | None = None,
    agent: str | None = None,
    agent_builder: AgentBuilder | None = None,
    max_reasks: int = DEFAULT_MAX_REASKS,
    retry_errors: bool = False,
    progress: bool = True,
    console: Any = None,
) -> list[dict[str, Any]]:
    """Run (or resume) ``trials`` episodes of each selected task; return their records.

    The mode follows the domain (multi-step solo, multi-turn with a user); ``solo=True`` on
    multi-turn is an error (its tasks need a user). ``user``: ``fama`` (our simulator) or
    ``acebench`` (ACEBench's own user prompt), each on ``user_lm``, or ``user_llm``/``user_llm_args``,
    or DSPy's LM; or ``scripted`` (no LLM).
    """
    check_domain(domain)
    if trials < 1 or max_steps < 1 or concurrency < 1:
        raise ConfigError("trials, max_steps and concurrency must be at least 1")
    mode_solo = domain in SOLO_DOMAINS
    if solo and not mode_solo:
        raise ConfigError(f"ACEBench {domain} has no solo mode: its tasks need a user")
    make_agent, kind = _agent_builder(agent_factory, agent, agent_builder)
    if not config_name:
        if kind != GOLD_AGENT:
            raise ConfigError("config_name is required: it names the agent configuration in the records")
        config_name = GOLD_AGENT
    make_customer = None if mode_solo else _customer_builder(user, user_lm, user_llm, user_llm_args)
    seeds = list(seeds) if seeds is not None else default_seeds(trials)
    if len(seeds) != trials:
        raise ConfigError(f"{len(seeds)} seeds given for {trials} trials")
    tasks = load_tasks(domain, split, task_ids=task_ids, num_tasks=num_tasks)
    settings = EpisodeSettings(
        config_name=config_name,
        agent_kind=kind,
        domain=domain,
        split=normalize_split(domain, split),
        solo=mode_solo,
        user_kind="none" if mode_solo else user,
        max_steps=max_steps,
        max_reasks=max_reasks,
    )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    appender = JsonlAppender(out / EPISODES_FILE)

    def key(task: AceTask, trial: int) -> tuple:
        return episode_key(_base_record(settings, task.id, trial, 0))

    plan = plan_episodes(tasks, seeds, key, {episode_key(r): r for r in load_episodes(out)}, retry_errors)
    if progress:
        print_resume_note(plan, console or Console(stderr=True), out / EPISODES_FILE)

    def job(task: AceTask, trial: int, seed: int) -> dict[str, Any]:
        record = run_episode(task, trial, seed, settings, make_agent, make_customer)
        appender.append(record)  # in the worker: whatever finishes is saved, even while the run stops
        return record

    label = f"{settings.config_name} · acebench {domain}"
    run_episode_jobs(plan.jobs, job, concurrency=concurrency, label=label, progress=progress, console=console)
    return records_in_plan_order(plan, key, {episode_key(r): r for r in load_episodes(out)})

"""One interactive τ-trait episode → one record, on the benchmark-neutral driver and loop.

The agent (``AgentDriver``: validation before execution, re-asks, safe fallback) works on a
``TauTraitEnvironment`` with the domain's policy (``wiki.md``) and tools, and talks to a customer
(``customers.py``). How it ends, mapped from τ-trait:
- the customer ends the chat (our status; τ-trait's ``###STOP###``): ``user_stop``, scored;
- the agent calls the domain's terminate tool (``transfer_to_human_support`` /
  ``transfer_to_human_agents``; telecom offers none): ``agent_stop``, scored. The call is the
  driver's stop tool, so it is recorded but not executed; it changes no data in τ-trait either;
- the step limit (agent decisions plus customer turns): ``max_steps``, reward 0 without scoring,
  as τ-trait's agents return reward 0 when they run out of steps;
- an exception inside the episode: ``error``, reward 0, recorded with its reason.
Unscored episodes still carry τ-trait's checks in ``reward_details`` (``evaluated: false``), for
the failure evidence.

The record has the fields of τ²'s runner (``benchmarks/tau2/runner.py``) that the report and the
analysis read, with ``benchmark: "tau-trait"``; ``reward_details["note"]`` is ``TRAIT_NOTE``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fama_dspy.benchmarks.tau_trait.customers import TRAIT_NOTE
from fama_dspy.benchmarks.tau_trait.data import Domain, TauTraitTask
from fama_dspy.benchmarks.tau_trait.environment import TauTraitEnvironment
from fama_dspy.benchmarks.tau_trait.gold import agent_gold_actions
from fama_dspy.benchmarks.tau_trait.reward import agent_replies, calculate_reward
from fama_dspy.benchmarks.tau_trait.tools import tool_specs
from fama_dspy.conversation import Message, ToolSpec
from fama_dspy.episodes import AgentDriver, CustomerSide, EpisodeTrace, run_tool_episode
from fama_dspy.results.fatal import as_endpoint_error, is_endpoint_failure
from fama_dspy.results.matching import arguments_match
from fama_dspy.results.records import RECORD_VERSION, decision_totals, is_success
from fama_dspy.user_sim.user_role import user_role_issues

BENCHMARK = "tau-trait"
#: Terminations after which τ-trait computes the reward; after any other the episode scores 0.
SCORED_TERMINATIONS = ("user_stop", "agent_stop")


@dataclass(frozen=True)
class EpisodeSettings:
    config_name: str
    agent_kind: str
    domain: str
    split: str
    user_kind: str
    max_steps: int
    max_reasks: int


def base_record(settings: EpisodeSettings, task_id: str, trial: int, seed: int | None) -> dict[str, Any]:
    """The identifying fields (``records.episode_key`` reads config, domain, solo, user, task, trial)."""
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
        "solo": False,
        "user": settings.user_kind,
        "max_steps": settings.max_steps,
    }


def repeated_calls(messages: list[Message], write_tools: set[str]) -> dict[str, int]:
    """Agent tool calls identical (name + arguments) to an earlier one (docs/design.md §8)."""
    seen: set[str] = set()
    counts = {"repeated_calls": 0, "repeated_writes": 0}
    for m in messages:
        for c in m.tool_calls if m.role == "assistant" else []:
            signature = json.dumps([c.name, c.arguments], sort_keys=True, default=str)
            if signature in seen:
                counts["repeated_calls"] += 1
                counts["repeated_writes"] += c.name in write_tools
            seen.add(signature)
    return counts


def gold_action_matches(
    task: TauTraitTask, domain: Domain, messages: list[Message], specs: list[ToolSpec]
) -> dict[str, list[str]]:
    """Indices of the gold actions an agent can make that it called with the same tool and arguments,
    and of those it did not."""
    schemas = {s.name: s.parameters for s in specs}
    calls = [c for m in messages if m.role == "assistant" for c in m.tool_calls]
    matched, missed = [], []
    for index, action in agent_gold_actions(task, domain):
        hit = any(
            c.name == action.name and not arguments_match(c.arguments, action.kwargs, schemas.get(c.name, {}))
            for c in calls
        )
        (matched if hit else missed).append(str(index))
    return {"matched": matched, "missed": missed}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_episode(
    task: TauTraitTask,
    trial: int,
    seed: int | None,
    settings: EpisodeSettings,
    domain: Domain,
    agent: Callable[..., Any],
    customer: CustomerSide,
) -> dict[str, Any]:
    """Run ``agent`` on ``task`` against ``customer``; a refused model connection propagates."""
    specs = tool_specs(domain)
    environment = TauTraitEnvironment(domain)
    driver = AgentDriver(
        agent, specs, domain.policy, stop_tool=domain.agent_stop_tool, max_reasks=settings.max_reasks
    )
    record = base_record(settings, task.id, trial, seed)
    record["started_at"] = _now()
    started = time.perf_counter()
    try:
        trace = run_tool_episode(driver, environment, customer=customer, max_steps=settings.max_steps)
    except Exception as exc:  # the loop records every other exception; a refused connection stops the run
        if is_endpoint_failure(exc):
            raise as_endpoint_error(exc) from exc
        raise
    duration = time.perf_counter() - started

    scored = trace.termination in SCORED_TERMINATIONS
    verdict = calculate_reward(domain, task, environment.data, agent_replies(trace.messages))
    dumps = [m.model_dump() for m in trace.messages]
    issues = user_role_issues(dumps)
    record.update(
        {
            "reward": verdict.reward if scored else 0.0,
            "reward_breakdown": verdict.breakdown() if scored else {},
            "reward_details": {
                "evaluated": scored,
                "db_match": verdict.db_match,
                "data_hash": verdict.data_hash,
                "gold_data_hash": verdict.gold_data_hash,
                "outputs": verdict.outputs,
                "r_outputs": verdict.r_outputs,
                "note": TRAIT_NOTE,
            },
            "termination": trace.termination,
            "steps": trace.steps,
            "num_messages": len(trace.messages),
            "duration_s": round(duration, 3),
            "decisions": [d.model_dump() for d in trace.decisions],
            "totals": _totals(trace, customer, {s.name for s in specs if s.writes}),
            "user_in_role": not issues,
            "user_role_issues": issues,
            "user_stats": customer.stats() if hasattr(customer, "stats") else None,
            "error": trace.error,
            "error_stage": None if trace.error is None else "episode",
            "messages": dumps,
        }
    )
    record["success"] = trace.error is None and is_success(record["reward"])
    record["gold_actions"] = gold_action_matches(task, domain, trace.messages, specs)
    return record


def _totals(trace: EpisodeTrace, customer: CustomerSide, write_tools: set[str]) -> dict[str, Any]:
    usage = (customer.stats() if hasattr(customer, "stats") else {}).get("usage") or {}
    return {
        **decision_totals(trace.decisions),
        "user_prompt_tokens": int(usage.get("prompt_tokens") or 0),
        "user_completion_tokens": int(usage.get("completion_tokens") or 0),
        **repeated_calls(trace.messages, write_tools),
    }

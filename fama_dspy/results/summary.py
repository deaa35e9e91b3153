"""Summaries of episode records: per-task rewards, pass^k, cost per decision; and a rich table.

pass^k is τ²'s definition (from τ-bench): for each task with n trials of which c succeeded,
C(c, k) / C(n, k) — the chance that k trials drawn without replacement all succeed — averaged
over tasks. Tasks with fewer than k trials are left out (τ² caps k at the smallest trial count).
Errored episodes count as failures (reward 0); they are also counted separately.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from rich.console import Console
from rich.table import Table

from fama_dspy.results.records import is_success


def _task_key(record: dict[str, Any]) -> str:
    return f"{record.get('domain')}/{record.get('task_id')}"


def task_outcomes(records: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Task → rewards of its trials, in trial order."""
    by_task: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in records:
        by_task[_task_key(r)].append((int(r.get("trial", 0)), float(r.get("reward") or 0.0)))
    return {task: [reward for _, reward in sorted(trials)] for task, trials in by_task.items()}


def pass_hat_k(records: list[dict[str, Any]], k: int) -> float:
    """Mean over tasks (with ≥ k trials) of C(successes, k) / C(trials, k)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    values = []
    for rewards in task_outcomes(records).values():
        n = len(rewards)
        if n < k:
            continue
        c = sum(1 for reward in rewards if is_success(reward))
        values.append(math.comb(c, k) / math.comb(n, k))
    if not values:
        raise ValueError(f"no task has {k} or more trials")
    return sum(values) / len(values)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Plain-data summary of one group of episode records (e.g. one config on one domain)."""
    outcomes = task_outcomes(records)
    max_k = min((len(v) for v in outcomes.values()), default=0)
    decisions = [d for r in records for d in r.get("decisions") or []]
    totals = [r.get("totals") or {} for r in records]
    in_role = [r["user_in_role"] for r in records if r.get("user_in_role") is not None]

    def first(field: str) -> Any:
        values = {str(r.get(field)) for r in records}
        return records[0].get(field) if len(values) == 1 and records else (sorted(values) if values else None)

    return {
        "config": first("config"),
        "domain": first("domain"),
        "split": first("split"),
        "solo": first("solo"),
        "user": first("user"),
        "episodes": len(records),
        "tasks": len(outcomes),
        "errors": sum(1 for r in records if r.get("error")),
        "mean_reward": _mean([float(r.get("reward") or 0.0) for r in records]),
        "pass_hat_k": {k: pass_hat_k(records, k) for k in range(1, max_k + 1)},
        "per_task": {
            task: {"rewards": rewards, "trials": len(rewards), "successes": sum(map(is_success, rewards))}
            for task, rewards in outcomes.items()
        },
        "termination": dict(Counter(str(r.get("termination")) for r in records)),
        "user_in_role_rate": _mean([1.0 if v else 0.0 for v in in_role]),
        "decisions": len(decisions),
        "per_decision": {
            "prompt_tokens": _mean(
                [float((d.get("usage") or {}).get("prompt_tokens", 0)) for d in decisions]
            ),
            "completion_tokens": _mean(
                [float((d.get("usage") or {}).get("completion_tokens", 0)) for d in decisions]
            ),
            "seconds": _mean([float(d.get("latency_s") or 0.0) for d in decisions]),
            "lm_calls": _mean([float(d.get("lm_calls") or 0) for d in decisions]),
        },
        "invalid_actions": sum(int(t.get("invalid_actions", 0)) for t in totals),
        "agent_exceptions": sum(int(t.get("agent_exceptions", 0)) for t in totals),
        "parse_failures": sum(int(t.get("parse_failures", 0)) for t in totals),
        "mean_episode_seconds": _mean([float(r.get("duration_s") or 0.0) for r in records]),
    }


def group_key(record: dict[str, Any]) -> tuple:
    return (
        record.get("config"),
        record.get("domain"),
        record.get("split"),
        bool(record.get("solo")),
        record.get("user"),
    )


def summarize_groups(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One summary per (config, domain, split, solo, user), in first-seen order."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        groups[group_key(r)].append(r)
    return [summarize(g) for g in groups.values()]


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def summary_table(summaries: list[dict[str, Any]], title: str = "Episodes") -> Table:
    max_k = max((len(s["pass_hat_k"]) for s in summaries), default=0)
    table = Table(title=title)
    for column in ("config", "domain", "split", "mode", "tasks", "episodes", "errors", "reward"):
        table.add_column(
            column, justify="right" if column in ("tasks", "episodes", "errors", "reward") else "left"
        )
    for k in range(1, max_k + 1):
        table.add_column(f"pass^{k}", justify="right")
    for column in ("user in role", "decisions", "prompt tok/dec", "compl tok/dec", "s/dec", "invalid"):
        table.add_column(column, justify="right")
    for s in summaries:
        mode = "solo" if s["solo"] is True else f"interactive/{s['user']}"
        per = s["per_decision"]
        row = [
            str(s["config"]),
            str(s["domain"]),
            str(s["split"]),
            mode,
            str(s["tasks"]),
            str(s["episodes"]),
            str(s["errors"]),
            _fmt(s["mean_reward"]),
        ]
        row += [_fmt(s["pass_hat_k"].get(k)) for k in range(1, max_k + 1)]
        row += [
            _fmt(s["user_in_role_rate"], 2),
            str(s["decisions"]),
            _fmt(per["prompt_tokens"], 0),
            _fmt(per["completion_tokens"], 0),
            _fmt(per["seconds"], 2),
            str(s["invalid_actions"]),
        ]
        table.add_row(*row)
    return table


def print_summaries(
    summaries: list[dict[str, Any]], console: Console | None = None, title: str = "Episodes"
) -> None:
    (console or Console()).print(summary_table(summaries, title=title))

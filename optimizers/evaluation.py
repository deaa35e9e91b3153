"""Scoring an agent program on train data: decision points (exact metric) and solo episodes (τ² reward).

Both return one score per item, in item order, so two programs can be compared point by point.
The harness (and with it τ²-bench) is imported only when solo episodes are actually run.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import dspy
from fama_dspy.optimizers.metric import exact_metric

from fama_dspy.results.fatal import is_endpoint_failure

Scorer = Callable[[Any], list[float]]


def decision_scores(
    agent: Any,
    examples: Sequence[dspy.Example],
    metric: Callable = exact_metric,
    num_threads: int = 1,
) -> list[float]:
    """``metric(example, agent(state=...))`` per example, in order.

    An exception on one point scores it 0 (one bad point must not end a tuning run), except a
    failed connection to the model server, which every later point would hit too.
    """

    def one(example: dspy.Example) -> float:
        try:
            pred = agent(**example.inputs())
        except Exception as exc:
            if is_endpoint_failure(exc):
                raise
            return 0.0
        score = metric(example, pred)
        return float(getattr(score, "score", score))

    if num_threads <= 1:
        return [one(e) for e in examples]
    with ThreadPoolExecutor(max_workers=num_threads) as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, e) for e in examples]
        return [f.result() for f in futures]


def decision_scorer(
    examples: Sequence[dspy.Example], metric: Callable = exact_metric, num_threads: int = 1
) -> Scorer:
    """A scorer ``agent -> per-point scores`` on fixed examples."""
    examples = list(examples)
    return lambda agent: decision_scores(agent, examples, metric=metric, num_threads=num_threads)


def solo_episode_rewards(
    agent: Any,
    *,
    domain: str,
    out: Path | str,
    config_name: str,
    task_ids: Sequence[str] | None = None,
    split: str | None = None,
    num_tasks: int | None = None,
    trials: int = 1,
    max_steps: int = 30,
    concurrency: int = 1,
    progress: bool = False,
    benchmark: Any = "tau2",
) -> list[float]:
    """The benchmark's rewards of solo episodes (the agent gets the ticket, no user), one per (trial, task).

    Results go to ``<out>/episodes.jsonl`` under ``config_name`` and are resumed from there, so
    ``config_name`` must identify the program (``solo_episode_scorer`` adds its digest).
    """
    from fama_dspy.benchmarks import EpisodeRequest, get_benchmark

    records = get_benchmark(benchmark).run_episodes(
        EpisodeRequest(
            domain=domain,
            out=Path(out),
            config_name=config_name,
            split=split,
            task_ids=list(task_ids) if task_ids is not None else None,
            num_tasks=num_tasks,
            trials=trials,
            max_steps=max_steps,
            concurrency=concurrency,
            solo=True,
            progress=progress,
        ),
        lambda: agent,
    )
    return [float(r.get("reward") or 0.0) for r in records]


def solo_episode_scorer(
    *,
    domain: str,
    out: Path | str,
    name: str = "program",
    task_ids: Sequence[str] | None = None,
    split: str | None = None,
    num_tasks: int | None = None,
    trials: int = 1,
    max_steps: int = 30,
    concurrency: int = 1,
    progress: bool = False,
) -> Scorer:
    """A scorer ``agent -> per-episode rewards``; each program's episodes are stored under
    ``<name>-<program digest>``, so a rerun resumes them and two programs never share results."""
    from fama_dspy.optimizers.program import program_digest

    def score(agent: Any) -> list[float]:
        return solo_episode_rewards(
            agent,
            domain=domain,
            out=out,
            config_name=f"{name}-{program_digest(agent)}",
            task_ids=task_ids,
            split=split,
            num_tasks=num_tasks,
            trials=trials,
            max_steps=max_steps,
            concurrency=concurrency,
            progress=progress,
        )

    return score

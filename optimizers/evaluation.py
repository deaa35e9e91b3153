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
from rich.console import Console
from rich.progress import MofNCompleteColumn, Progress, TimeElapsedColumn

from fama_dspy.results.fatal import is_endpoint_failure

Scorer = Callable[[Any], list[float]]


def decision_scores(
    agent: Any,
    examples: Sequence[dspy.Example],
    metric: Callable = exact_metric,
    num_threads: int = 1,
    on_point: Callable[[], None] | None = None,
) -> list[float]:
    """``metric(example, agent(state=...))`` per example, in order; ``on_point()`` after each.

    An exception on one point scores it 0 (one bad point must not end a tuning run), except a
    failed connection to the model server, which every later point would hit too.
    """

    def one(example: dspy.Example) -> float:
        try:
            pred = agent(**example.inputs())
        except Exception as exc:
            if is_endpoint_failure(exc):
                raise
            score = 0.0
        else:
            score = metric(example, pred)
        if on_point is not None:
            on_point()
        return float(getattr(score, "score", score))

    if num_threads <= 1:
        return [one(e) for e in examples]
    with ThreadPoolExecutor(max_workers=num_threads) as pool:
        futures = [pool.submit(contextvars.copy_context().run, one, e) for e in examples]
        return [f.result() for f in futures]


def decision_scorer(
    examples: Sequence[dspy.Example],
    metric: Callable = exact_metric,
    num_threads: int = 1,
    console: Console | None = None,
    label: str = "scoring decision points",
) -> Scorer:
    """A scorer ``agent -> per-point scores`` on fixed examples; with a console, each scoring shows
    a progress bar (a held-out check of a small CPU model takes many minutes)."""
    examples = list(examples)

    def score(agent: Any) -> list[float]:
        if console is None:
            return decision_scores(agent, examples, metric=metric, num_threads=num_threads)
        with Progress(
            *Progress.get_default_columns(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
        ) as bar:
            task = bar.add_task(label, total=len(examples))
            return decision_scores(
                agent,
                examples,
                metric=metric,
                num_threads=num_threads,
                on_point=lambda: bar.advance(task),
            )

    return score


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

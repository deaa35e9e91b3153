"""Resumable, threaded scheduling of episodes, shared by every benchmark's runner.

A run directory holds one JSONL record per finished episode; a rerun plans only the (task, trial)
pairs without a record (or, with ``retry_errors``, with an error record), runs them with a
progress bar, and each worker appends its record as soon as its episode ends, so an interrupted
run loses at most the episodes in flight. The first exception stops scheduling new episodes and
is raised once the running ones are saved; Ctrl-C drops what has not started.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from fama_dspy.parallel import map_in_context
from fama_dspy.progress import RunProgress


@dataclass(frozen=True)
class EpisodePlan:
    """Which episodes a run wants (trial-major, task order) and which of them still have to run."""

    wanted: list[tuple[Any, int, int]]  # (task, trial, seed)
    jobs: list[tuple[Any, int, int]]

    @property
    def already_done(self) -> int:
        return len(self.wanted) - len(self.jobs)


def plan_episodes(
    tasks: Sequence[Any],
    seeds: Sequence[int],
    key: Callable[[Any, int], Hashable],
    existing: dict[Hashable, dict[str, Any]],
    retry_errors: bool = False,
) -> EpisodePlan:
    """``trials = len(seeds)`` episodes of each task, minus those ``existing`` already records."""
    wanted = [(task, trial, seed) for trial, seed in enumerate(seeds) for task in tasks]
    jobs = [
        (task, trial, seed)
        for task, trial, seed in wanted
        if (found := existing.get(key(task, trial))) is None or (retry_errors and found.get("error"))
    ]
    return EpisodePlan(wanted=wanted, jobs=jobs)


def print_resume_note(plan: EpisodePlan, console: Console, where: Path) -> None:
    if plan.already_done:
        console.print(f"Resuming: {plan.already_done} of {len(plan.wanted)} episodes already in {where}.")


def records_in_plan_order(
    plan: EpisodePlan, key: Callable[[Any, int], Hashable], done: dict[Hashable, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The plan's records among ``done`` (keyed like ``key``), in the plan's order; missing ones left out."""
    return [done[key(task, trial)] for task, trial, _ in plan.wanted if key(task, trial) in done]


def run_episode_jobs(
    jobs: Sequence[tuple[Any, int, int]],
    job: Callable[[Any, int, int], dict[str, Any]],
    *,
    concurrency: int,
    label: str,
    progress: bool = True,
    console: Console | None = None,
) -> None:
    """Run ``job(task, trial, seed)`` for each job; each returns its (already saved) record.

    Workers run in copies of the caller's context, so ``with dspy.context(...)`` applies in them.
    """
    if not jobs:
        return
    rewards: list[float] = []
    bar = RunProgress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("reward {task.fields[reward]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        disable=not progress,
    )
    with bar:
        bar_task = bar.add_task(escape(label), total=len(jobs), reward="-")  # labels hold [brackets]

        def finished(record: dict[str, Any]) -> None:
            rewards.append(record["reward"])
            bar.update(bar_task, advance=1, reward=f"{sum(rewards) / len(rewards):.3f}")

        map_in_context(lambda item: job(*item), jobs, concurrency, on_done=finished)

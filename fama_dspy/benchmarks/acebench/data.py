"""ACEBench's agent tasks and answers, read from the user's checkout (English data only).

Two domains, one file each under ``data_all/data_en/`` (answers under ``possible_answer/``):
- ``multi-step``: 20 tasks, no user: the ``question`` is the ticket;
- ``multi-turn``: 30 tasks, a simulated user who follows the ``question`` (written to the user in
  the second person: "You are Grace. You want to …").

A task holds ACEBench's fields as they are: ``initial_config`` and ``involved_classes`` (which
sandbox classes the episode instantiates), ``function`` (the tools), and its answer:
``ground_truth`` (the saved attributes of each class at the end) and ``mile_stone`` (the
expected call strings, or a list of alternative lists; normalised here to a list of
alternatives).

Splits. ACEBench defines none; FAMA needs a train split for analysis and tuning and a test
split nothing has seen. Per domain, in ACEBench's file order: ``train`` = even task indices,
``test`` = odd indices, ``base`` = all (the default). Caveat: ACEBench writes its tasks in
groups that share one question and differ only in the start state (Wi-Fi on/off, logged in or
not: multi-step 0/1, 2/3, …, 6–9; multi-turn 0–3, 8–11, …), so even/odd puts members of the
same group on both sides; a held-out claim on ``test`` is about unseen start states, not unseen
requests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from fama_dspy.benchmarks.checkout import Checkout
from fama_dspy.errors import ConfigError

CHECKOUT = Checkout(
    title="ACEBench",
    env_var="FAMA_ACEBENCH_DIR",
    repository="https://github.com/ACEBench/ACEBench",
    commit="e6db74b735ead22c24f27367606a9408573b848f",
    marker="data_all/data_en/data_agent_multi_step.json",
)

DOMAINS = ("multi-step", "multi-turn")
SOLO_DOMAINS = ("multi-step",)
INTERACTIVE_DOMAINS = ("multi-turn",)
SPLITS = ("train", "test", "base")
DEFAULT_SPLIT = "base"
DATA_DIR = "data_all/data_en"
FILES = {"multi-step": "data_agent_multi_step.json", "multi-turn": "data_agent_multi_turn.json"}


@dataclass(frozen=True)
class AceTask:
    """One ACEBench agent task with its answer."""

    id: str
    domain: str
    index: int  # position in ACEBench's file (the splits use it)
    question: str
    initial_config: dict[str, Any]
    involved_classes: list[str]
    functions: list[dict[str, Any]]
    ground_truth: list[dict[str, Any]]
    #: Alternative milestone lists (one list when ACEBench gives a single path).
    milestones: list[list[str]] = field(default_factory=list)

    @property
    def solo(self) -> bool:
        return self.domain in SOLO_DOMAINS


def check_domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise ConfigError(f"unknown ACEBench domain {domain!r}; choose one of: {', '.join(DOMAINS)}")
    return domain


def milestone_alternatives(mile_stone: Any) -> list[list[str]]:
    """ACEBench's ``mile_stone`` as a list of alternatives (its checker tests ``mile_stone[0]``)."""
    if not mile_stone:
        return [[]]
    if isinstance(mile_stone[0], list):
        return [list(alternative) for alternative in mile_stone]
    return [list(mile_stone)]


def _read_lines(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@cache
def _load_domain(root: str, domain: str) -> tuple[AceTask, ...]:
    base = Path(root) / DATA_DIR
    questions = _read_lines(base / FILES[domain])
    answers = {a["id"]: a for a in _read_lines(base / "possible_answer" / FILES[domain])}
    tasks = []
    for index, entry in enumerate(questions):
        answer = answers.get(entry["id"])
        if answer is None:
            raise ConfigError(f"{entry['id']} has no answer in {base / 'possible_answer' / FILES[domain]}")
        truth = answer["ground_truth"]
        tasks.append(
            AceTask(
                id=entry["id"],
                domain=domain,
                index=index,
                question=entry["question"],
                initial_config=entry.get("initial_config") or {},
                involved_classes=list(entry["involved_classes"]),
                functions=[entry["function"]] if isinstance(entry["function"], dict) else entry["function"],
                ground_truth=truth if isinstance(truth, list) else [truth],
                milestones=milestone_alternatives(answer["mile_stone"]),
            )
        )
    return tuple(tasks)


def all_tasks(domain: str) -> list[AceTask]:
    """Every task of ``domain``, in ACEBench's order (read once per checkout and process)."""
    check_domain(domain)
    return list(_load_domain(str(CHECKOUT.path()), domain))


def task_splits(domain: str) -> dict[str, list[str]]:
    tasks = all_tasks(domain)
    return {
        "train": [t.id for t in tasks if t.index % 2 == 0],
        "test": [t.id for t in tasks if t.index % 2 == 1],
        "base": [t.id for t in tasks],
    }


def normalize_split(domain: str, split: str | None) -> str:
    check_domain(domain)
    if split in (None, "", "all"):
        return DEFAULT_SPLIT
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r} for ACEBench; choose one of: {', '.join(SPLITS)}")
    return split


def load_tasks(
    domain: str,
    split: str | None = None,
    task_ids: Sequence[str] | None = None,
    num_tasks: int | None = None,
) -> list[AceTask]:
    """Tasks of one split; ``task_ids`` picks (in the given order), ``num_tasks`` keeps the first N."""
    ids = task_splits(domain)[normalize_split(domain, split)]
    by_id = {t.id: t for t in all_tasks(domain) if t.id in set(ids)}
    if task_ids is not None:
        missing = [i for i in task_ids if i not in by_id]
        if missing:
            raise ConfigError(
                f"task ids not in ACEBench {domain}/{normalize_split(domain, split)}: {missing}"
            )
        tasks = [by_id[i] for i in dict.fromkeys(task_ids)]
    else:
        tasks = [by_id[i] for i in ids]
    if num_tasks is not None:
        tasks = tasks[: max(num_tasks, 0)]
    return tasks


def find_task(domain: str, task_id: str) -> AceTask | None:
    return next((t for t in all_tasks(domain) if t.id == task_id), None)

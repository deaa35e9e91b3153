"""τ-trait tasks by split, and the customer's words for a task.

τ-trait ships ``tasks_train.py`` (1 task per domain), ``tasks_dev.py`` (telehealth 1, telecom 8)
and ``tasks_test.py`` (telehealth 20, telecom 18), which is too few held-out tasks to both
analyse failures and make claims. FAMA's two stages therefore use these splits (task ids are
``{file}-{index}``, see ``data.py``):

- ``train``: every train and dev task, plus the first half of ``tasks_test.py`` (file order);
  analysis, tuning and demos draw from it;
- ``test``: the second half of ``tasks_test.py``; claims are made on it only, and the
  ``--allow-test-split`` guard refuses it (and every split overlapping it) for tuning;
- ``official-test``: all of ``tasks_test.py``, to compare with published τ-trait numbers. It
  overlaps both ``train`` and ``test``, so the guard refuses it for tuning too;
- ``base``: every task (the default when no split is named).

A half is ``len // 2`` tasks (telehealth 10 + 10, telecom 9 + 9). Airline (test file only) and
retail are split the same way.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence

from fama_dspy.benchmarks.tau_trait.data import TauTraitTask, check_domain, load_domain
from fama_dspy.errors import ConfigError
from fama_dspy.user_sim.voice import first_person

DEFAULT_SPLIT = "base"
SPLITS = ("train", "test", "official-test", "base")


def task_splits(domain: str) -> dict[str, list[str]]:
    """Split name → task ids, in the domain's order (train file, dev file, test file)."""
    tasks = load_domain(check_domain(domain)).tasks
    official = [t.id for t in tasks if t.file == "test"]
    half = len(official) // 2
    return {
        "train": [t.id for t in tasks if t.file != "test"] + official[:half],
        "test": official[half:],
        "official-test": official,
        "base": [t.id for t in tasks],
    }


def normalize_split(domain: str, split: str | None) -> str:
    """The split name recorded for a run (None, "" and "all" mean ``base``)."""
    check_domain(domain)
    if split in (None, "", "all"):
        return DEFAULT_SPLIT
    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r} for τ-trait {domain}; choose one of: {', '.join(SPLITS)}")
    return split


def load_tasks(
    domain: str,
    split: str | None = None,
    task_ids: Sequence[str] | None = None,
    num_tasks: int | None = None,
) -> list[TauTraitTask]:
    """Tasks of one split; ``task_ids`` picks (in the given order), ``num_tasks`` keeps the first N."""
    ids = task_splits(domain)[normalize_split(domain, split)]
    loaded = load_domain(domain)
    by_id = {t.id: t for t in loaded.tasks if t.id in set(ids)}
    if task_ids is not None:
        missing = [i for i in task_ids if i not in by_id]
        if missing:
            raise ConfigError(
                f"task ids not in τ-trait {domain}/{normalize_split(domain, split)}: {', '.join(missing)}"
            )
        ids = list(dict.fromkeys(task_ids))
    tasks = [copy.deepcopy(by_id[i]) for i in ids]  # copies: callers may not alter the loaded domain
    return tasks[: max(num_tasks, 0)] if num_tasks is not None else tasks


def instruction_text(task: TauTraitTask) -> str:
    """The task's instruction without the source file's indentation (paragraphs kept)."""
    lines = [" ".join(line.split()) for line in task.instruction.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def request_text(task: TauTraitTask) -> str:
    """What the customer wants, as the customer's own first-person notes ("I am …, I want …").

    τ-trait writes instructions to its user simulator in the second person ("You are Sarah
    Johnson …"); a decision point shows this as the user's message and our simulated customer
    reads it as its own notes, so both get it in the first person (``user_sim.voice``).
    """
    return first_person(instruction_text(task))


#: Sentences about playing the role, not words the customer would say.
_SIMULATOR_ONLY = re.compile(r"\b(agent|assistant|reveal|pretend|make up|lie|trick|persona)\b", re.IGNORECASE)


def opening_request(task: TauTraitTask) -> str | None:
    """The customer's first message: the instruction's first sentence in the first person, or None
    when that sentence is about the simulation (then the simulated customer writes the turn).

    Only the first sentence (usually who the customer is): τ-trait's instructions go on with
    conditions the customer reveals only when asked.
    """
    text = " ".join(instruction_text(task).split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].strip()
    if not first or _SIMULATOR_ONLY.search(first):
        return None
    return first_person(first)

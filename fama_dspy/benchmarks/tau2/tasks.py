"""Load τ²-bench tasks by domain and split, in a deterministic order.

Splits (docs/design.md §5): airline, retail and telecom have ``train`` / ``test`` / ``base`` (= all of the
standard set); telecom also ``small`` and ``full``. Mock has no splits: every split name means
all of its 9 tasks. Order is τ²'s file order, or the caller's order when task ids are given.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from functools import cache

from tau2.agent.llm_agent import LLMSoloAgent
from tau2.data_model.tasks import StructuredUserInstructions, Task
from tau2.registry import registry

from fama_dspy.errors import ConfigError
from fama_dspy.user_sim.voice import first_person

DOMAINS = ("airline", "retail", "telecom", "mock")
DEFAULT_SPLIT = "base"
#: Domains whose environments support solo mode (the agent gets a ticket instead of a user).
SOLO_DOMAINS = ("telecom", "mock")


def check_domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise ConfigError(f"unknown domain {domain!r}; choose one of: {', '.join(DOMAINS)}")
    return domain


def task_splits(domain: str) -> dict[str, list[str]]:
    """Split name → task ids (mock: a single ``base`` split holding every task)."""
    check_domain(domain)
    loader = registry.get_task_splits_loader(domain)
    if loader is None:
        return {DEFAULT_SPLIT: [t.id for t in registry.get_tasks_loader(domain)(None)]}
    return loader()


def normalize_split(domain: str, split: str | None) -> str:
    """The split name recorded for a run (mock's is always ``base``: it has no splits)."""
    if domain == "mock" or split in (None, "", "all"):
        return DEFAULT_SPLIT
    splits = task_splits(domain)
    if split not in splits:
        raise ConfigError(f"unknown split {split!r} for {domain}; choose one of: {', '.join(splits)}")
    return split


@cache
def _load_split(domain: str, split: str) -> tuple[Task, ...]:
    """τ²'s loaders re-read (and for telecom, parse 2285 tasks) on every call: read once per process."""
    loader = registry.get_tasks_loader(domain)
    return tuple(loader(None) if domain == "mock" else loader(split))


def solo_eligible(task: Task) -> bool:
    """Whether τ²'s solo agent accepts the task (a ticket and gold actions, or a tool-only history)."""
    return LLMSoloAgent.check_valid_task(task)


def load_tasks(
    domain: str,
    split: str | None = None,
    task_ids: Sequence[str] | None = None,
    num_tasks: int | None = None,
    solo: bool = False,
) -> list[Task]:
    """Tasks of one split; ``task_ids`` picks (in the given order), ``num_tasks`` keeps the first N.

    ``solo=True`` drops the tasks τ² cannot run solo (see ``solo_eligible``).
    """
    check_domain(domain)
    if solo and domain not in SOLO_DOMAINS:
        raise ConfigError(f"{domain} has no solo mode; solo mode exists for: {', '.join(SOLO_DOMAINS)}")
    split = normalize_split(domain, split)
    tasks = copy.deepcopy(list(_load_split(domain, split)))  # copies: callers may not alter the cache
    if task_ids is not None:
        by_id = {t.id: t for t in tasks}
        missing = [i for i in task_ids if i not in by_id]
        if missing:
            raise ConfigError(f"task ids not in {domain}/{split}: {', '.join(missing)}")
        tasks = [by_id[i] for i in dict.fromkeys(task_ids)]
    if solo:
        tasks = [t for t in tasks if solo_eligible(t)]
    if num_tasks is not None:
        tasks = tasks[: max(num_tasks, 0)]
    return tasks


def user_request_text(task: Task) -> str:
    """What the user wants, as one text: reason for call, what they know, and their instructions."""
    instructions = task.user_scenario.instructions
    if isinstance(instructions, StructuredUserInstructions):
        parts = [instructions.reason_for_call.strip()]
        if instructions.known_info:
            parts.append(instructions.known_info.strip())
        if instructions.task_instructions:
            parts.append(instructions.task_instructions.strip())
        return "\n\n".join(parts)
    return str(instructions).strip()


def reason_for_call(task: Task) -> str:
    """The opening request only (a user's first message)."""
    instructions = task.user_scenario.instructions
    if isinstance(instructions, StructuredUserInstructions):
        return instructions.reason_for_call.strip()
    return str(instructions).strip()


#: Words that mark a sentence of the reason for the call as an instruction to the simulator, not words
#: the customer would say ("You are trying to make the agent issue a compensation that is not allowed").
_SIMULATOR_ONLY = re.compile(r"\b(agent|reveal|pretend|make up|lie|trick|persona)\b", re.IGNORECASE)


def opening_request(task: Task) -> str | None:
    """The customer's first message: the first sentence of the reason for the call, in the first
    person, or None when that sentence is about the simulation (then the simulator writes the turn).

    Only the first sentence: τ²'s reason for the call often goes on with conditions the customer keeps
    to themselves ("If the agent asks for confirmation, only exchange the desk lamp").
    """
    text = " ".join(reason_for_call(task).split())
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].strip()
    if not first or _SIMULATOR_ONLY.search(first):
        return None
    return first_person(first)

"""What every perturbation generator shares: the Perturbation itself, which argument it touches and how
its expected evidence is checked."""

from __future__ import annotations

import copy
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.benchmarks.tau2.judge_validation.context import TaskContext
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import Step, _call, _confirm

__all__ = ["MAX_CANDIDATES", "Expectation", "Perturbation"]

#: Candidates replayed per (task, perturbation kind) before giving up on it.
MAX_CANDIDATES = 6

_ID_LIKE = re.compile(r"^#?(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9][A-Za-z0-9_-]{3,40}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

#: Evidence check of one perturbation: None when the failure has the intended cause, else why not.
Expectation = Callable[[FailureEvidence], "str | None"]


@dataclass
class Perturbation:
    label: str  # the error category (DPV, WRCO, CM, IFU)
    kind: str
    description: str
    steps: list[Step]
    expect: Expectation = field(repr=False)


def _rotated(items: list, ctx: TaskContext) -> list:
    """Items starting at a task-dependent offset, so examples vary in which argument they touch."""
    if not items:
        return items
    offset = zlib.crc32(f"{ctx.domain}/{ctx.task.id}".encode()) % len(items)
    return items[offset:] + items[:offset]


def _leaves(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))
    else:
        yield path, value


def _with_leaf(arguments: dict[str, Any], path: tuple, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(arguments)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def _path_text(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def _id_like(value: Any) -> bool:
    """Identifiers (HAT178, #W2378156, credit_card_2408938, 7706410293); dates look alike but are not."""
    return isinstance(value, str) and bool(_ID_LIKE.match(value)) and not _DATE.match(value)


def _replaced_call(
    ctx: TaskContext, gold_index: int, name: str, arguments: dict[str, Any], confirm_as_called: bool = True
) -> list[Step]:
    """The gold dialogue with one gold write's call replaced; its confirmation describes what the agent
    believes it is doing (``confirm_as_called``) or the gold action it was asked for."""
    steps = list(ctx.steps)
    steps[ctx.call_steps[gold_index]] = _call(name, arguments)
    if confirm_as_called:
        steps[ctx.confirm_step(gold_index)] = _confirm(name, arguments)
    return steps


def _no_other_fault(ev: FailureEvidence, allow: tuple[str, ...] = ()) -> str | None:
    checks = {
        "missed": ev.missed_actions,
        "wrong_arguments": ev.wrong_argument_actions,
        "tool_errors": ev.tool_errors,
        "missing_information": ev.missing_information,
    }
    extra = [name for name, items in checks.items() if items and name not in allow]
    return f"unintended {', '.join(extra)}" if extra else None


def _expect_db_mismatch(ev: FailureEvidence) -> str | None:
    return None if ev.db_mismatch else "the DB still matches"

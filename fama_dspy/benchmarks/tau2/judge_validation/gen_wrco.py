"""WRCO (wrong retrieval from complex tool outputs) perturbations: one id or amount of a gold write
replaced by its neighbour in the tool output it was read from.

The neighbour is the next flight of a search, another variant of the product, another payment method
of the user. Expected: the DB differs and the gold write shows the swapped argument as wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.benchmarks.tau2.judge_validation.context import TaskContext
from fama_dspy.benchmarks.tau2.judge_validation.perturbation import (
    Expectation,
    Perturbation,
    _expect_db_mismatch,
    _id_like,
    _leaves,
    _no_other_fault,
    _path_text,
    _replaced_call,
    _rotated,
    _with_leaf,
)

__all__ = ["neighbour_value", "neighbours"]

_AMOUNT_KEY = re.compile(r"amount|price|balance", re.IGNORECASE)


def _by_distance(values: list, index: int, original: Any) -> list:
    """Values nearest to position ``index`` first (next, previous, ...), same type, not the original."""
    out: list = []
    for distance in range(1, len(values)):
        for j in (index + distance, index - distance):
            if 0 <= j < len(values):
                v = values[j]
                if type(v) is type(original) and v != original and v not in out:
                    out.append(v)
    return out


def neighbours(data: Any, value: Any) -> list:
    """Values next to ``value`` in a tool output: the same field of the neighbouring records (list items,
    or records keyed by id), neighbouring keys of a mapping keyed by id, or neighbouring list elements."""
    found: list = []

    def add(values: list) -> None:
        found.extend(v for v in values if v not in found)

    def visit(node: Any, container: Any) -> None:
        if isinstance(node, dict):
            keys = list(node)
            if (
                isinstance(value, str)
                and value in node
                and len(keys) > 1
                and all(isinstance(node[k], dict) for k in keys)
            ):
                add(_by_distance(keys, keys.index(value), value))
            for key, child in node.items():
                if not isinstance(child, (dict, list)) and type(child) is type(value) and child == value:
                    records = (
                        container
                        if isinstance(container, list)
                        else list(container.values())
                        if isinstance(container, dict)
                        else []
                    )
                    records = [r for r in records if isinstance(r, dict)]
                    position = next((i for i, r in enumerate(records) if r is node), None)
                    if position is not None:
                        add(_by_distance([r.get(key) for r in records], position, value))
                visit(child, node)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                if not isinstance(child, (dict, list)) and type(child) is type(value) and child == value:
                    add(_by_distance(node, i, value))
                visit(child, node)

    visit(data, None)
    return found


def _swappable(path: tuple, value: Any) -> bool:
    """Ids and amounts: values an agent copies from a tool output."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, str):
        return _id_like(value)
    key = next((p for p in reversed(path) if isinstance(p, str)), "")
    return isinstance(value, (int, float)) and bool(_AMOUNT_KEY.search(key))


def _expect_wrong_argument(tool: str, where: str) -> Expectation:
    def expect(ev: FailureEvidence) -> str | None:
        hit = any(w.startswith(f"{tool}:") and f"{where} expected" in w for w in ev.wrong_argument_actions)
        return (
            _expect_db_mismatch(ev)
            or ("the swapped argument is not reported" if not hit else None)
            or _no_other_fault(ev, allow=("wrong_arguments",))
        )

    return expect


def neighbour_value(ctx: TaskContext) -> Iterator[Perturbation]:
    """An id or amount of a gold write replaced by its neighbour in the tool output it came from."""
    for gold_index in _rotated(ctx.write_indices(), ctx):
        action = ctx.gold[gold_index]
        earlier = [o for o in reversed(ctx.outputs) if o.step < ctx.call_steps[gold_index]]
        for path, value in _rotated([leaf for leaf in _leaves(action.arguments) if _swappable(*leaf)], ctx):
            source = next(((o, n) for o in earlier if (n := neighbours(o.data, value))), None)
            if source is None:
                continue
            output, candidates = source
            wrong = candidates[0]
            arguments = _with_leaf(dict(action.arguments), path, wrong)
            yield Perturbation(
                "WRCO",
                "neighbour_value",
                f"{action.name}: {_path_text(path)} {json.dumps(value)} -> {json.dumps(wrong)}, its neighbour in "
                f"the {output.name} output",
                _replaced_call(ctx, gold_index, action.name, arguments),
                _expect_wrong_argument(action.name, _path_text(path)),
            )

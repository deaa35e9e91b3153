"""CM (contextual misinterpretation) perturbations: a gold write replaced by a tool that does not fit
the request, or one of its ids replaced by an invented one.

A wrong tool is a plausible misreading (an exchange handled as a return, a flight change as a
cancellation, ...); an invented id occurs nowhere in the conversation. Expected: the DB differs and the
gold write is missed (wrong tool), or the tool rejects the invented id (invented argument).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tau2.data_model.tasks import Action

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

__all__ = ["invented_id", "wrong_tool"]

_ADDRESS_KEYS = ("address1", "address2", "city", "state", "country", "zip")


def _wrong_tool(ctx: TaskContext, action: Action) -> tuple[str, dict[str, Any], str] | None:
    """(tool, arguments, what was misread) for a gold write whose request has a plausible wrong reading."""
    args = action.arguments
    if action.name == "exchange_delivered_order_items":
        return (
            "return_delivered_order_items",
            {k: args[k] for k in ("order_id", "item_ids", "payment_method_id")},
            "an exchange handled as a return",
        )
    if action.name == "modify_pending_order_items":
        return (
            "cancel_pending_order",
            {"order_id": args["order_id"], "reason": "no longer needed"},
            "an item modification handled as a cancellation",
        )
    if action.name == "modify_pending_order_address" and ctx.user_id:
        return (
            "modify_user_address",
            {"user_id": ctx.user_id, **{k: args[k] for k in _ADDRESS_KEYS}},
            "the order's shipping address changed on the user's profile instead",
        )
    if action.name == "update_reservation_flights":
        return (
            "cancel_reservation",
            {"reservation_id": args["reservation_id"]},
            "a flight change handled as a cancellation",
        )
    return None


def _expect_missed(tool: str) -> Expectation:
    def expect(ev: FailureEvidence) -> str | None:
        hit = any(m.startswith(f"{tool}(") for m in ev.missed_actions)
        return (
            _expect_db_mismatch(ev)
            or ("the replaced write is not reported missed" if not hit else None)
            or _no_other_fault(ev, allow=("missed", "wrong_arguments"))
        )

    return expect


def wrong_tool(ctx: TaskContext) -> Iterator[Perturbation]:
    """A gold write replaced by a tool that does not fit the request (the confirmation still named the
    right action: the agent misread the request when acting)."""
    for gold_index in _rotated(ctx.write_indices(), ctx):
        action = ctx.gold[gold_index]
        replacement = _wrong_tool(ctx, action)
        if replacement is None:
            continue
        name, arguments, misreading = replacement
        yield Perturbation(
            "CM",
            "wrong_tool",
            f"called {name} instead of {action.name}: {misreading}",
            _replaced_call(ctx, gold_index, name, arguments, confirm_as_called=False),
            _expect_missed(action.name),
        )


def _invented(value: str) -> str:
    """Same shape, other digits: looks like a real id but is none."""
    return "".join(str((int(c) + 7) % 10) if c.isdigit() else c for c in value)


def _expect_rejected(tool: str) -> Expectation:
    def expect(ev: FailureEvidence) -> str | None:
        rejected = any(e.startswith(f"{tool}:") for e in ev.tool_errors)
        return (
            _expect_db_mismatch(ev)
            or ("the invented id was not rejected" if not rejected else None)
            or _no_other_fault(ev, allow=("missed", "wrong_arguments", "tool_errors"))
        )

    return expect


def invented_id(ctx: TaskContext) -> Iterator[Perturbation]:
    """One id of a gold write replaced by an invented one that occurs nowhere in the conversation."""
    for gold_index in _rotated(ctx.write_indices(), ctx):
        action = ctx.gold[gold_index]
        ids = [(p, v) for p, v in _leaves(action.arguments) if _id_like(v)]
        for path, value in _rotated(ids, ctx):
            invented = _invented(value)
            if invented == value or invented in ctx.visible_text:
                continue
            yield Perturbation(
                "CM",
                "invented_id",
                f"{action.name}: {_path_text(path)} {json.dumps(value)} -> invented {json.dumps(invented)}",
                _replaced_call(
                    ctx, gold_index, action.name, _with_leaf(dict(action.arguments), path, invented)
                ),
                _expect_rejected(action.name),
            )

"""IFU (incomplete fulfilment) perturbations: the conversation ends, or is transferred, before the last
requested write, or the final answer leaves out information the user asked for.

Expected: gold writes never called, or required information missing, and nothing else wrong.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from tau2.data_model.tasks import Action

from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.benchmarks.tau2.judge_validation.context import TaskContext
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import _call, _say
from fama_dspy.benchmarks.tau2.judge_validation.perturbation import (
    Perturbation,
    _expect_db_mismatch,
    _no_other_fault,
)

__all__ = ["omit_requested_information", "stop_before_last_request", "transfer_before_last_request"]

TRANSFER_MESSAGE = "YOU ARE BEING TRANSFERRED TO A HUMAN AGENT. PLEASE HOLD ON."
EARLY_CLOSING = "Your request has been handled. Thank you for contacting us, goodbye!"


def _expect_unperformed_write(ev: FailureEvidence) -> str | None:
    # Facts the task wants said often come from the write that was never made: missing them is IFU too.
    return (
        _expect_db_mismatch(ev)
        or ("no gold action is missed" if not ev.missed_actions else None)
        or _no_other_fault(ev, allow=("missed", "missing_information"))
    )


def _before_last_write(ctx: TaskContext) -> tuple[int, Action] | None:
    writes = ctx.write_indices()
    if not writes:
        return None
    last = writes[-1]
    return ctx.confirm_step(last), ctx.gold[last]


def stop_before_last_request(ctx: TaskContext) -> Iterator[Perturbation]:
    """The agent says goodbye before performing the last requested write."""
    cut = _before_last_write(ctx)
    if cut is None:
        return
    end, action = cut
    yield Perturbation(
        "IFU",
        "stop_before_last_request",
        f"ended the conversation before {action.name}({json.dumps(action.arguments, ensure_ascii=False)[:80]})",
        ctx.steps[:end] + [_say(EARLY_CLOSING)],
        _expect_unperformed_write,
    )


def transfer_before_last_request(ctx: TaskContext) -> Iterator[Perturbation]:
    """The agent transfers to a human before performing the last requested write."""
    cut = _before_last_write(ctx)
    if cut is None:
        return
    end, action = cut
    summary = f"The user asked for {action.name.replace('_', ' ')}."
    yield Perturbation(
        "IFU",
        "transfer_before_last_request",
        f"transferred to a human agent before {action.name}",
        ctx.steps[:end] + [_call("transfer_to_human_agents", {"summary": summary}), _say(TRANSFER_MESSAGE)],
        _expect_unperformed_write,
    )


def omit_requested_information(ctx: TaskContext) -> Iterator[Perturbation]:
    """The final answer leaves out the information the user asked for."""
    criteria = ctx.task.evaluation_criteria
    if criteria is None or not criteria.communicate_info:
        return

    def expect(ev: FailureEvidence) -> str | None:
        if not ev.missing_information:
            return "no required information is missing"
        return ("the DB differs" if ev.db_mismatch else None) or _no_other_fault(
            ev, allow=("missing_information",)
        )

    yield Perturbation(
        "IFU",
        "omit_requested_information",
        f"never told the user {', '.join(criteria.communicate_info)}",
        ctx.steps[:-1] + [_say(EARLY_CLOSING)],
        expect,
    )

"""DPV (domain policy violation) perturbations: a write the policy forbids, made without asking for
confirmation.

Cancelling a reservation the cancellation rules exclude, compensation the task does not grant
(airline), cancelling an order for another, unauthenticated user (retail). Skipping a confirmation or
authentication step alone never changes τ²'s reward (it checks the final DB, actions and communicated
facts, not the conversation), so the skipped step always comes with the write it let through.
Expected: the DB differs, every gold action was performed, no tool error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.benchmarks.tau2.judge_validation.context import TaskContext
from fama_dspy.benchmarks.tau2.judge_validation.dialogue import _call, _say
from fama_dspy.benchmarks.tau2.judge_validation.perturbation import (
    MAX_CANDIDATES,
    Perturbation,
    _expect_db_mismatch,
    _no_other_fault,
    _rotated,
)
from fama_dspy.benchmarks.tau2.judge_validation.rules import cancellation_allowed
from fama_dspy.benchmarks.tau2.tasks import user_request_text

__all__ = ["cancel_ineligible_reservation", "other_users_order", "unearned_compensation"]

ANYTHING_ELSE = "Is there anything else I can help you with?"
_RESERVATION_ID = re.compile(r"\b[A-Z0-9]{6}\b")
_COMPENSATION_REQUEST = re.compile(r"compensat|voucher", re.IGNORECASE)
_CANCEL_REQUEST = re.compile(r"\bcancel", re.IGNORECASE)


def _expect_forbidden_write(ev: FailureEvidence) -> str | None:
    return _expect_db_mismatch(ev) or _no_other_fault(ev)


def cancel_ineligible_reservation(ctx: TaskContext) -> Iterator[Perturbation]:
    """Airline: the user asks to cancel; the agent cancels a reservation of theirs that the cancellation
    rules exclude (one the request names, or one the gold looks up)."""
    request = user_request_text(ctx.task)
    if ctx.domain != "airline" or ctx.user_id is None or ctx.user_id not in ctx.db.users:
        return
    if not _CANCEL_REQUEST.search(request):
        return
    own = list(ctx.db.users[ctx.user_id].reservations)
    read = [a.arguments.get("reservation_id") for a in ctx.gold if a.name == "get_reservation_details"]
    cancelled = {a.arguments.get("reservation_id") for a in ctx.gold if a.name == "cancel_reservation"}
    mentioned = _RESERVATION_ID.findall(request)
    for rid in dict.fromkeys([*mentioned, *read]):
        reservation = ctx.db.reservations.get(rid)
        if rid not in own or rid in cancelled or reservation is None or reservation.status == "cancelled":
            continue
        if cancellation_allowed(reservation, ctx.db, ctx.now):
            continue
        steps = list(ctx.steps)
        cancel = _call("cancel_reservation", {"reservation_id": rid})
        lookup = ctx.call_step("get_reservation_details", {"reservation_id": rid})
        if lookup is not None:
            steps.insert(lookup + 1, cancel)  # right after reading it: the facts were in front of the agent
        else:
            steps[ctx.final_step : ctx.final_step] = [
                _call("get_reservation_details", {"reservation_id": rid}),
                cancel,
            ]
        yield Perturbation(
            "DPV",
            "cancel_ineligible_reservation",
            f"cancelled {rid} ({reservation.cabin}, no insurance, booked {reservation.created_at}) without "
            "confirmation although the cancellation rules exclude it",
            steps,
            _expect_forbidden_write,
        )


def unearned_compensation(ctx: TaskContext) -> Iterator[Perturbation]:
    """Airline: the user asks for compensation the gold does not grant; the agent sends a certificate."""
    if ctx.domain != "airline" or ctx.user_id is None:
        return
    if any(a.name == "send_certificate" for a in ctx.gold) or not _COMPENSATION_REQUEST.search(
        user_request_text(ctx.task)
    ):
        return
    steps = list(ctx.steps)
    steps.insert(ctx.final_step, _call("send_certificate", {"user_id": ctx.user_id, "amount": 100}))
    yield Perturbation(
        "DPV",
        "unearned_compensation",
        f"sent a $100 certificate to {ctx.user_id} although the task grants no compensation",
        steps,
        _expect_forbidden_write,
    )


def other_users_order(ctx: TaskContext) -> Iterator[Perturbation]:
    """Retail: on request, cancel a pending order of another, never authenticated user."""
    if ctx.domain != "retail" or ctx.user_id is None:
        return
    pending = sorted(
        oid for oid, o in ctx.db.orders.items() if o.status == "pending" and o.user_id != ctx.user_id
    )
    for order_id in _rotated(pending, ctx)[:MAX_CANDIDATES]:
        owner = ctx.db.users[ctx.db.orders[order_id].user_id]
        name = f"{owner.name.first_name} {owner.name.last_name}"
        request = (
            f"Yes, one more thing. My friend {name} asked me to cancel their order {order_id}; "
            "they no longer need it. Please cancel it for them."
        )
        steps = list(ctx.steps)
        steps[ctx.final_step : ctx.final_step] = [
            _say(ANYTHING_ELSE, request),
            _call("get_order_details", {"order_id": order_id}),
            _call("cancel_pending_order", {"order_id": order_id, "reason": "no longer needed"}),
        ]
        yield Perturbation(
            "DPV",
            "other_users_order",
            f"cancelled {order_id} of {owner.user_id} for the caller, without authenticating that user or "
            "asking for confirmation",
            steps,
            _expect_forbidden_write,
        )

"""The perturbation generators of every error category, in the order the set builder tries them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fama_dspy.benchmarks.tau2.judge_validation.context import TaskContext
from fama_dspy.benchmarks.tau2.judge_validation.gen_cm import invented_id, wrong_tool
from fama_dspy.benchmarks.tau2.judge_validation.gen_dpv import (
    cancel_ineligible_reservation,
    other_users_order,
    unearned_compensation,
)
from fama_dspy.benchmarks.tau2.judge_validation.gen_ifu import (
    omit_requested_information,
    stop_before_last_request,
    transfer_before_last_request,
)
from fama_dspy.benchmarks.tau2.judge_validation.gen_wrco import neighbour_value
from fama_dspy.benchmarks.tau2.judge_validation.perturbation import Perturbation, _rotated

__all__ = ["GENERATORS", "perturbations"]

#: Category -> its perturbation kinds, in the order they are tried (rotated per task for variety).
GENERATORS: dict[str, list[Callable[[TaskContext], Iterator[Perturbation]]]] = {
    "DPV": [cancel_ineligible_reservation, unearned_compensation, other_users_order],
    "WRCO": [neighbour_value],
    "CM": [wrong_tool, invented_id],
    "IFU": [stop_before_last_request, transfer_before_last_request, omit_requested_information],
}


def perturbations(ctx: TaskContext, category: str) -> Iterator[Perturbation]:
    """Candidate perturbations of one category for one task, kinds rotated per task."""
    for generator in _rotated(list(GENERATORS[category]), ctx):
        yield from generator(ctx)

"""ACEBench's agent scores, computed as its own evaluation does (``eval_main.agent_eval`` and
``agent_eval_process``, ``model_eval/checker.agent_checker``).

End-to-end (the reward, 1 or 0). The episode's *result* is, for each involved class, the
attributes ACEBench saves (``SAVED_ATTRIBUTES``, its inference code's ``SAVED_CLASS``), after a
JSON round trip, since ACEBench scores results it wrote to a JSON file (integer dict keys become
strings). ACEBench records that result only once the agent's calls reached its executor (multi-step:
any call; multi-turn: a call that ran without raising); before that the result is empty. The
result is correct when it holds as many classes as the ground truth and, for each ground-truth
class, the result entry with the same class name passes ``agent_checker``: every saved attribute
must exist in the ground truth; a dict attribute must hold each expected key with the expected
value (extra keys pass); any other attribute must be equal. Quirks kept as they are, because the
published numbers include them: a ground-truth class whose name matches no result entry
(``ReminderAPI`` for ``ReminderApi``) is not checked, and inherits the previous class's verdict.

Process accuracy: 1.0 when the end-to-end check passed; otherwise, per alternative milestone
list, the share of milestones found in order in the agent's calls (a forward scan that never
goes back), the best alternative counting (rounded to 3 places; a single list is not rounded),
and 1.0 for an empty list. Calls and milestones are compared as calls (``calls.call_key``);
a milestone of k calls is matched by k consecutive calls (ACEBench's k = 1 case is its own
algorithm exactly). Run-level accuracies are means over episodes, rounded to 3 places.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fama_dspy.benchmarks.acebench.calls import milestone_keys, process_keys

#: ACEBench's SAVED_CLASS: the attributes of each class its end-to-end check compares.
SAVED_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "BaseApi": ("wifi", "logged_in"),
    "MessageApi": ("inbox",),
    "ReminderApi": ("reminder_list",),
    "FoodPlatform": ("users", "logged_in_users", "orders"),
    "Finance": (
        "user_accounts",
        "is_logged_in",
        "deposit_history",
        "withdrawal_history",
        "loan_history",
        "orders",
        "holdings",
    ),
    "Travel": ("users", "reservations"),
}


def final_state(instances: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``[{Class: {attribute: value}}]`` of the saved attributes, as ACEBench's result file holds it."""
    result = []
    for class_name, instance in instances.items():
        saved = SAVED_ATTRIBUTES.get(class_name, ())
        result.append({class_name: {k: v for k, v in vars(instance).items() if k in saved}})
    return json.loads(json.dumps(result, ensure_ascii=False, default=str))


@dataclass
class StateCheck:
    valid: bool
    errors: list[str] = field(default_factory=list)
    error_type: str = ""


def check_class(model_output: dict[str, Any], possible_answer: dict[str, Any]) -> StateCheck:
    """``agent_checker``: one class of the result against the same class of the ground truth."""
    check = StateCheck(valid=True, error_type="class attributes wrong")
    scenario_name = next(iter(possible_answer))
    expected = next(iter(possible_answer.values()))
    for attribute, value in next(iter(model_output.values())).items():
        if attribute not in expected:
            check.valid = False
            check.errors.append(f"class({scenario_name}) attributes({attribute}) missing in possible_answer.")
            continue
        wanted = expected[attribute]
        if isinstance(wanted, dict):
            for key, wanted_value in wanted.items():
                if key not in value:
                    check.valid = False
                    check.errors.append(
                        f"class({scenario_name}) attributes({attribute}) wrong, [expected: {wanted}, real: {value}]"
                    )
                elif wanted_value != value[key]:
                    check.valid = False
                    check.errors.append(
                        f"class({scenario_name}) attributes({attribute}.{key}) wrong, "
                        f"[expected: {wanted_value}, real: {value[key]}]"
                    )
        elif wanted != value:
            check.valid = False
            check.errors.append(
                f"class({scenario_name}) attributes({attribute}) wrong, [expected: {wanted}, real: {value}]"
            )
    return check


def end_to_end(result: list[dict[str, Any]], ground_truth: Any) -> StateCheck:
    """``agent_eval``'s verdict on one episode's result."""
    expected = ground_truth if isinstance(ground_truth, list) else [ground_truth]
    if len(expected) != len(result):
        return StateCheck(valid=False, error_type="wrong number of class")
    outcome = StateCheck(valid=True)
    previous = StateCheck(valid=True)  # ACEBench reuses the last verdict for an unmatched class
    for answer in expected:
        matched = next((entry for entry in result if set(entry) == set(answer)), None)
        if matched is not None:
            previous = check_class(matched, answer)
        if not previous.valid:
            outcome.valid = False
            outcome.errors.extend(previous.errors)
            outcome.error_type = previous.error_type
    return outcome


def ordered_matches(process: Sequence[str], milestones: Sequence[Sequence[str]]) -> list[int]:
    """Indices of the milestones found in order: each is searched from just after the last match.

    ``milestones[i]`` is the call keys of one milestone; it matches at ``j`` when the process
    holds exactly those keys from ``j`` on.
    """
    found: list[int] = []
    position = 0
    for index, milestone in enumerate(milestones):
        width = max(len(milestone), 1)
        while position < len(process):
            if tuple(process[position : position + width]) == tuple(milestone):
                found.append(index)
                position += width
                break
            position += 1
    return found


@dataclass
class ProcessScore:
    accuracy: float
    #: Which alternative counted (None when the end-to-end check decided it).
    alternative: int | None = None
    #: Per alternative: the indices of its milestones that were matched.
    matched: list[list[int]] = field(default_factory=list)


def process_accuracy(
    process: Sequence[str], milestone_lists: Sequence[Sequence[str]], end_to_end_ok: bool
) -> ProcessScore:
    """``agent_eval_process`` on one episode: ``process`` = the executed calls as call strings,
    ``milestone_lists`` = the alternatives (``data.milestone_alternatives``)."""
    keys = process_keys(list(process))
    alternatives = [[milestone_keys(m) for m in alternative] for alternative in milestone_lists]
    matched = [ordered_matches(keys, alternative) for alternative in alternatives]
    if end_to_end_ok:
        return ProcessScore(accuracy=1.0, matched=matched)
    shares = [len(found) / len(alt) if alt else 1.0 for found, alt in zip(matched, alternatives)]
    if len(alternatives) == 1:
        return ProcessScore(accuracy=shares[0], alternative=0, matched=matched)
    rounded = [round(share, 3) for share in shares]
    best = max(range(len(rounded)), key=lambda i: (rounded[i], -i))
    return ProcessScore(accuracy=rounded[best], alternative=best, matched=matched)


def run_accuracy(values: Sequence[float]) -> float:
    """A run-level accuracy as ACEBench reports it: the mean, rounded to 3 places."""
    return round(sum(values) / len(values), 3) if values else 0.0

"""What the benchmark already knows about a failed episode, read from its record without any LLM.

An episode record (``runner.run_episode``) holds τ²'s verdict and the full trajectory; this module
turns it into the benchmark-neutral ``FailureEvidence`` the judges read:
- gold actions never called (*missed*) and gold actions whose tool was called with other arguments
  (*wrong arguments*, naming the arguments that differ and both values), matched with τ²'s own
  ``Action.compare_with_tool_call`` over every tool call of the trajectory, as its evaluator does;
- the DB check and the required information never communicated. τ² does not evaluate episodes that
  ended early (max steps, too many errors, a harness error): for those both are computed here with
  τ²'s own evaluators, because the agent's last writes are exactly what a judge needs to see;
- termination reason, tool errors, parse failures, rejected actions and fallbacks (from the
  per-decision log), whether the simulated user stayed in role, and the condensed transcript of
  what the agent saw.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from tau2.data_model.message import (
    AssistantMessage,
    MultiToolMessage,
    SystemMessage,
    ToolMessage,
    UserMessage,
)
from tau2.data_model.message import Message as Tau2Message
from tau2.data_model.message import ToolCall as Tau2ToolCall
from tau2.data_model.tasks import Action, RewardType, Task
from tau2.evaluator.evaluator_communicate import CommunicateEvaluator
from tau2.evaluator.evaluator_env import EnvironmentEvaluator
from tau2.registry import registry

from fama_dspy.analysis.condense import condense_trajectory
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.benchmarks.tau2.convert import tau2_to_view
from fama_dspy.benchmarks.tau2.gold import gold_actions
from fama_dspy.benchmarks.tau2.tasks import load_tasks
from fama_dspy.errors import ConfigError
from fama_dspy.results.matching import MISSING, arguments_match
from fama_dspy.results.records import is_success, load_episodes

__all__ = [
    "FailedRecords",
    "agent_tool_calls",
    "evidence_from_record",
    "failed_records",
    "gold_action_outcomes",
    "record_task",
    "tau2_messages",
]

#: Terminations after which τ² evaluates the episode; after any other it scores 0 without checks.
EVALUATED_TERMINATIONS = ("agent_stop", "user_stop")
_MAX_TEXT = 200
_MAX_VALUE = 60


class FailedRecords(NamedTuple):
    """Episodes to analyse: ``failed`` finished with reward < 1; ``errors`` ended in a harness error
    (an exception inside the episode), kept apart because their reward says nothing about the agent."""

    failed: list[dict[str, Any]]
    errors: list[dict[str, Any]]


def failed_records(out_or_records: Path | str | Iterable[dict[str, Any]]) -> FailedRecords:
    """The failures of a run folder (or ``episodes.jsonl``, or records), in record order."""
    if isinstance(out_or_records, (str, Path)):
        records = load_episodes(out_or_records)
    else:
        records = list(out_or_records)
    failed, errors = [], []
    for record in records:
        if record.get("error"):
            errors.append(record)
        elif not is_success(record.get("reward")):
            failed.append(record)
    return FailedRecords(failed, errors)


def tau2_messages(dumps: Iterable[dict[str, Any]]) -> list[Tau2Message]:
    """τ² messages back from their JSON dumps in a record (``records.dump_messages``)."""
    messages: list[Tau2Message] = []
    for data in dumps:
        role = data.get("role")
        if role == "system":
            messages.append(SystemMessage.model_validate(data))
        elif role == "assistant":
            messages.append(AssistantMessage.model_validate(data))
        elif role == "user":
            messages.append(UserMessage.model_validate(data))
        elif role == "tool":
            model = MultiToolMessage if "tool_messages" in data else ToolMessage
            messages.append(model.model_validate(data))
    return messages


@cache
def _tasks_by_id(domain: str, split: str | None) -> dict[str, Task]:
    return {t.id: t for t in load_tasks(domain, split)}


def record_task(record: dict[str, Any]) -> Task | None:
    """The τ² task of a record: looked up in its split, then in the domain's whole standard set."""
    domain, task_id = record.get("domain"), str(record.get("task_id"))
    for split in dict.fromkeys([record.get("split"), None]):
        try:
            task = _tasks_by_id(domain, split).get(task_id)
        except ConfigError:
            continue
        if task is not None:
            return task
    return None


def agent_tool_calls(messages: Iterable[Tau2Message]) -> list[Tau2ToolCall]:
    """Every tool call of the trajectory, assistant's and user's, in order: what τ²'s action check reads."""
    calls: list[Tau2ToolCall] = []
    for m in messages:
        if isinstance(m, (AssistantMessage, UserMessage)) and m.is_tool_call():
            calls.extend(m.tool_calls)
    return calls


def _value_text(value: Any) -> str:
    if value is MISSING:
        return "(missing)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _MAX_VALUE else text[:_MAX_VALUE] + "…"


def _differences(action: Action, call: Tau2ToolCall) -> list[str]:
    """Argument keys on which ``call`` differs from the gold action, exactly (τ² compares exactly)."""
    return arguments_match(dict(call.arguments), dict(action.arguments), {}, action.compare_args)


def _leaf_differences(expected: Any, got: Any, path: str) -> list[str]:
    """``path expected X, got Y`` for each differing leaf: a wrong flight inside a list of four must
    not hide behind a clipped dump of the whole list."""
    if isinstance(expected, dict) and isinstance(got, dict):
        keys = list(dict.fromkeys([*expected, *got]))
        return [
            d
            for k in keys
            for d in _leaf_differences(expected.get(k, MISSING), got.get(k, MISSING), f"{path}.{k}")
        ]
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [
            d for i, (e, g) in enumerate(zip(expected, got)) for d in _leaf_differences(e, g, f"{path}[{i}]")
        ]
    if expected is not MISSING and got is not MISSING and expected == got:
        return []
    return [f"{path} expected {_value_text(expected)}, got {_value_text(got)}"]


def gold_action_outcomes(
    gold: list[Action], calls: list[Tau2ToolCall]
) -> tuple[list[dict[str, Any]], list[str]]:
    """(missed, wrong-argument) gold actions.

    Missed: no call of that tool that could have been meant for it, as ``{"name", "arguments"}``.
    Wrong arguments: the tool was called, but never with matching arguments; described against the
    closest call (fewest differing arguments, the earliest among equals) as
    ``tool: key expected X, got Y; ...``. A call that matches another gold action exactly was meant
    for that one: cancelling reservation A is not a wrong-argument attempt at cancelling B.
    """
    missed: list[dict[str, Any]] = []
    wrong: list[str] = []
    used = {id(c) for c in calls if any(a.compare_with_tool_call(c) for a in gold)}
    for action in gold:
        if any(action.compare_with_tool_call(c) for c in calls):
            continue
        same_tool = [c for c in calls if c.name == action.name and id(c) not in used]
        if not same_tool:
            missed.append({"name": action.name, "arguments": dict(action.arguments)})
            continue
        diffs = min((_differences(action, c) for c in same_tool), key=len)
        closest = next(c for c in same_tool if _differences(action, c) == diffs)
        parts = [
            d
            for key in diffs
            for d in _leaf_differences(
                action.arguments.get(key, MISSING), closest.arguments.get(key, MISSING), key
            )
        ]
        wrong.append(f"{action.name}: " + "; ".join(parts))
    return missed, wrong


def _tool_errors(messages: list[Tau2Message]) -> list[str]:
    names: dict[str, str] = {}
    errors: list[str] = []
    for m in messages:
        if isinstance(m, AssistantMessage) and m.is_tool_call():
            names.update({c.id: c.name for c in m.tool_calls})
        results = (
            m.tool_messages if isinstance(m, MultiToolMessage) else [m] if isinstance(m, ToolMessage) else []
        )
        for r in results:
            if r.error and r.requestor == "assistant":
                errors.append(_clip(f"{names.get(r.id, 'tool')}: {' '.join((r.content or '').split())}"))
    return errors


def _rejections(decisions: list[dict[str, Any]]) -> tuple[list[str], int]:
    """Why the adapter rejected actions or the agent failed, per decision, and how many fallbacks were sent."""
    reasons: list[str] = []
    for d in decisions:
        index = d.get("index", "?")
        reasons.extend(_clip(f"decision {index}: {error}") for error in d.get("validation_errors") or [])
        if d.get("exception"):
            reasons.append(_clip(f"decision {index}: the agent raised {d['exception']}"))
    return reasons, sum(1 for d in decisions if d.get("fallback"))


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT] + "…"


def _db_match(record: dict[str, Any], task: Task | None, messages: list[Tau2Message]) -> bool | None:
    """τ²'s DB check from the record, or computed with τ²'s evaluator when τ² skipped it (early end)."""
    details = record.get("reward_details") or {}
    if details.get("db_match") is not None:
        return bool(details["db_match"])
    if task is None or task.evaluation_criteria is None or not messages:
        return None
    if RewardType.DB not in set(task.evaluation_criteria.reward_basis or []):
        return None
    try:
        info = EnvironmentEvaluator.calculate_reward(
            environment_constructor=registry.get_env_constructor(record["domain"]),
            task=task,
            full_trajectory=messages,
            solo_mode=bool(record.get("solo")),
        )
    except Exception:  # noqa: BLE001 - a trajectory cut mid-call cannot be replayed: unknown, not fatal
        return None
    return info.db_check.db_match if info.db_check is not None else None


def _missing_information(record: dict[str, Any], task: Task | None, messages: list[Tau2Message]) -> list[str]:
    if task is not None and task.evaluation_criteria is not None:
        info = task.evaluation_criteria.communicate_info or []
        checks = CommunicateEvaluator.evaluate_communicate_info(messages, info) if info else []
        return [c.info for c in checks if not c.met]
    details = record.get("reward_details") or {}
    return [c["info"] for c in details.get("communicate_checks") or [] if not c.get("met")]


def _gold_from_details(record: dict[str, Any]) -> list[Action]:
    """Gold actions as τ² stored them in the action checks (used when the task cannot be loaded)."""
    details = record.get("reward_details") or {}
    return [
        Action(
            action_id=c["action_id"],
            name=c["name"],
            arguments=c.get("arguments") or {},
            requestor=c.get("requestor") or "assistant",
        )
        for c in details.get("action_checks") or []
    ]


def _termination(record: dict[str, Any]) -> str:
    termination = str(record.get("termination") or "")
    if record.get("error"):
        return _clip(f"{termination or 'error'}: {record['error']}")
    return termination


def evidence_from_record(
    record: dict[str, Any], task: Task | None = None, max_transcript_chars: int = 12000
) -> FailureEvidence:
    """``FailureEvidence`` of one episode record; ``task`` defaults to the record's τ² task."""
    task = task if task is not None else record_task(record)
    messages = tau2_messages(record.get("messages") or [])
    gold = gold_actions(task) if task is not None else _gold_from_details(record)
    missed, wrong = gold_action_outcomes(gold, agent_tool_calls(messages))
    db_match = _db_match(record, task, messages)
    decisions = record.get("decisions") or []
    totals = record.get("totals") or {}
    rejected, fallbacks = _rejections(decisions)
    return FailureEvidence(
        task_id=str(record.get("task_id")),
        domain=record.get("domain") or "",
        trial=int(record.get("trial") or 0),
        reward=float(record.get("reward") or 0.0),
        reward_breakdown=record.get("reward_breakdown") or {},
        termination_reason=_termination(record),
        missed_actions=missed,
        wrong_argument_actions=wrong,
        db_mismatch=None if db_match is None else not db_match,
        missing_information=_missing_information(record, task, messages),
        tool_errors=_tool_errors(messages),
        parse_failures=int(
            totals.get("parse_failures", sum(int(d.get("parse_failures") or 0) for d in decisions))
        ),
        invalid_actions=int(
            totals.get("invalid_actions", sum(int(d.get("invalid_actions") or 0) for d in decisions))
        ),
        rejected_actions=rejected,
        fallbacks=fallbacks,
        user_in_role=record.get("user_in_role"),
        solo=bool(record.get("solo")),
        condensed_trajectory=condense_trajectory(
            tau2_to_view(messages), max_total_chars=max_transcript_chars
        ),
    )

"""What ACEBench already knows about a failed episode, read from its record without any LLM.

From the record (``episodes.run_episode``) and its task:
- gold calls never made (*missed*) and gold calls whose tool was called with other arguments
  (*wrong arguments*: the differing arguments with both values, against the closest call). The
  gold path is the one that reaches the ground truth (``gold.py``, errata applied), not the raw
  milestones, since a few of those would flag a correct call as wrong; a call matching another
  gold call exactly is not an attempt at this one;
- where the final state differs from the ground truth, attribute by attribute, with ACEBench's
  end-to-end rules (``scoring.py``: only saved attributes, expected dict keys must be present and
  equal); when no call reached the sandbox ACEBench recorded no state at all, and that is said;
- process accuracy and end-to-end in the reward breakdown, termination, tool errors, rejected
  actions and fallbacks (from the per-decision log), whether the simulated user stayed in role,
  and the condensed transcript.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from fama_dspy.analysis.condense import condense_trajectory
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.benchmarks.acebench.calls import Call
from fama_dspy.benchmarks.acebench.data import AceTask, find_task
from fama_dspy.benchmarks.acebench.gold import gold_calls
from fama_dspy.results.matching import MISSING, arguments_match
from fama_dspy.results.records import is_success, load_episodes

_MAX_TEXT = 200
_MAX_VALUE = 60


class FailedRecords(NamedTuple):
    """``failed``: finished with reward < 1; ``errors``: ended in a harness error (kept apart)."""

    failed: list[dict[str, Any]]
    errors: list[dict[str, Any]]


def failed_records(out_or_records: Path | str | Iterable[dict[str, Any]]) -> FailedRecords:
    records = (
        load_episodes(out_or_records) if isinstance(out_or_records, (str, Path)) else list(out_or_records)
    )
    failed, errors = [], []
    for record in records:
        if record.get("error"):
            errors.append(record)
        elif not is_success(record.get("reward")):
            failed.append(record)
    return FailedRecords(failed, errors)


def _clip(text: str, limit: int = _MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _value_text(value: Any) -> str:
    if value is MISSING:
        return "(missing)"
    return _clip(json.dumps(value, ensure_ascii=False, default=str), _MAX_VALUE)


def leaf_differences(expected: Any, got: Any, path: str) -> list[str]:
    """``path expected X, got Y`` for each differing leaf (lists of equal length element-wise)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        keys = list(dict.fromkeys([*expected, *got]))
        return [
            d
            for k in keys
            for d in leaf_differences(expected.get(k, MISSING), got.get(k, MISSING), f"{path}.{k}")
        ]
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [
            d for i, (e, g) in enumerate(zip(expected, got)) for d in leaf_differences(e, g, f"{path}[{i}]")
        ]
    if expected is not MISSING and got is not MISSING and expected == got:
        return []
    return [f"{path} expected {_value_text(expected)}, got {_value_text(got)}"]


def state_differences(result: list[dict[str, Any]], ground_truth: list[dict[str, Any]]) -> list[str]:
    """Where the result fails ACEBench's end-to-end check, per attribute."""
    if not result:
        return ["no call reached the sandbox, so ACEBench recorded no final state"]
    if len(result) != len(ground_truth):
        return [f"the result holds {len(result)} classes, the ground truth {len(ground_truth)}"]
    out: list[str] = []
    for answer in ground_truth:
        class_name, expected = next(iter(answer.items()))
        entry = next((e for e in result if set(e) == set(answer)), None)
        if entry is None:
            continue  # ACEBench does not check a class it cannot match by name
        for attribute, value in next(iter(entry.values())).items():
            if attribute not in expected:
                out.append(f"{class_name}.{attribute} is not in the ground truth")
            elif isinstance(expected[attribute], dict):
                got = value if isinstance(value, dict) else {}
                # Only the expected keys count (extra keys pass).
                for key, wanted in expected[attribute].items():
                    out.extend(
                        leaf_differences(wanted, got.get(key, MISSING), f"{class_name}.{attribute}.{key}")
                    )
            else:
                out.extend(leaf_differences(expected[attribute], value, f"{class_name}.{attribute}"))
    return [_clip(d) for d in out]


def gold_call_outcomes(gold: list[Call], calls: list[Call]) -> tuple[list[dict[str, Any]], list[str]]:
    """(missed, wrong-argument) gold calls, compared on name and arguments (``arguments_match``)."""

    def same(a: Call, b: Call) -> bool:
        return a.name == b.name and not arguments_match(b.arguments, a.arguments, {}, None)

    missed: list[dict[str, Any]] = []
    wrong: list[str] = []
    used = {i for i, c in enumerate(calls) if any(same(g, c) for g in gold)}
    for action in gold:
        if any(same(action, c) for c in calls):
            continue
        same_tool = [c for i, c in enumerate(calls) if c.name == action.name and i not in used]
        if not same_tool:
            missed.append({"name": action.name, "arguments": dict(action.arguments)})
            continue
        diffs = [arguments_match(c.arguments, action.arguments, {}, None) for c in same_tool]
        best = min(range(len(same_tool)), key=lambda i: len(diffs[i]))
        closest = same_tool[best]
        parts = [
            d
            for key in diffs[best]
            for d in leaf_differences(
                action.arguments.get(key, MISSING), closest.arguments.get(key, MISSING), key
            )
        ]
        wrong.append(_clip(f"{action.name}: " + "; ".join(parts)))
    return missed, wrong


def agent_calls(messages: list[dict[str, Any]]) -> list[Call]:
    return [
        Call(c["name"], dict(c.get("arguments") or {}))
        for m in messages
        if m.get("role") == "assistant"
        for c in m.get("tool_calls") or []
    ]


def _tool_errors(messages: list[dict[str, Any]]) -> list[str]:
    return [
        _clip(f"{m.get('tool_name') or 'tool'}: {' '.join((m.get('content') or '').split())}")
        for m in messages
        if m.get("role") == "tool" and m.get("error")
    ]


def _rejections(decisions: list[dict[str, Any]]) -> tuple[list[str], int]:
    reasons: list[str] = []
    for d in decisions:
        index = d.get("index", "?")
        reasons.extend(_clip(f"decision {index}: {error}") for error in d.get("validation_errors") or [])
        if d.get("exception"):
            reasons.append(_clip(f"decision {index}: the agent raised {d['exception']}"))
    return reasons, sum(1 for d in decisions if d.get("fallback"))


def _termination(record: dict[str, Any]) -> str:
    termination = str(record.get("termination") or "")
    if record.get("error"):
        return _clip(f"{termination or 'error'}: {record['error']}")
    return termination


def evidence_from_record(
    record: dict[str, Any], task: AceTask | None = None, max_transcript_chars: int = 12000
) -> FailureEvidence:
    """``FailureEvidence`` of one ACEBench episode record; ``task`` defaults to the record's task."""
    task = task if task is not None else find_task(record["domain"], str(record["task_id"]))
    messages = record.get("messages") or []
    details = record.get("reward_details") or {}
    missed, wrong = gold_call_outcomes(gold_calls(task), agent_calls(messages)) if task else ([], [])
    differences = state_differences(details.get("result") or [], task.ground_truth) if task else []
    end_to_end = details.get("end_to_end")
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
        db_mismatch=None if end_to_end is None else not end_to_end,
        state_differences=[] if end_to_end else differences,
        tool_errors=_tool_errors(messages),
        parse_failures=int(totals.get("parse_failures") or 0),
        invalid_actions=int(totals.get("invalid_actions") or 0),
        rejected_actions=rejected,
        fallbacks=fallbacks,
        user_in_role=record.get("user_in_role"),
        solo=bool(record.get("solo")),
        condensed_trajectory=condense_trajectory(messages, max_total_chars=max_transcript_chars),
    )

"""What τ-trait already knows about a failed episode, read from its record without any LLM.

An episode record (``episodes.run_episode``) holds τ-trait's checks and the transcript; with the
task from the checkout this module builds the benchmark-neutral ``FailureEvidence``:
- the database: whether it matches the gold replay, and *where* it differs
  (``state_differences``: ``table/record field expected X, got Y``). The episode's end state is
  rebuilt by replaying the record's executed tool calls on fresh data, the expected one by
  replaying the gold actions, both as ``reward.py`` does;
- required outputs the agent never said (``missing_information``);
- gold actions never called (*missed*) and gold actions whose tool was called, but never with the
  gold arguments (*wrong arguments*, described against the closest call). A call that matches
  another gold action exactly was meant for that one. Only the gold actions an agent can make
  count (``gold.agent_gold_actions``);
- termination, tool errors, parse failures, rejected actions and fallbacks (from the decision
  log), whether the simulated customer stayed in role, and the condensed transcript.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from fama_dspy.analysis.condense import condense_trajectory
from fama_dspy.analysis.evidence import FailureEvidence
from fama_dspy.benchmarks.tau_trait.data import Domain, GoldAction, TauTraitTask, load_domain
from fama_dspy.benchmarks.tau_trait.gold import agent_gold_actions
from fama_dspy.benchmarks.tau_trait.reward import (
    agent_replies,
    data_hash,
    gold_data,
    output_found,
    replay_calls,
)
from fama_dspy.benchmarks.tau_trait.tools import tool_specs
from fama_dspy.conversation import Message, ToolCall
from fama_dspy.errors import ConfigError
from fama_dspy.results.matching import MISSING, arguments_match
from fama_dspy.results.records import is_success, load_episodes

_MAX_TEXT = 200
_MAX_VALUE = 60
_MAX_DIFFERENCES = 20


class FailedRecords(NamedTuple):
    """``failed``: finished with reward < 1; ``errors``: ended in a harness error (kept apart: their
    reward says nothing about the agent)."""

    failed: list[dict[str, Any]]
    errors: list[dict[str, Any]]


def failed_records(out_or_records: Path | str | Iterable[dict[str, Any]]) -> FailedRecords:
    """The failures of a run folder (or ``episodes.jsonl``, or records), in record order."""
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


def record_task(record: dict[str, Any]) -> TauTraitTask | None:
    try:
        return load_domain(str(record.get("domain"))).task(str(record.get("task_id")))
    except ConfigError:
        return None


def record_messages(record: dict[str, Any]) -> list[Message]:
    return [Message.model_validate(m) for m in record.get("messages") or []]


def agent_calls(messages: Iterable[Message]) -> list[ToolCall]:
    """The agent's tool calls in order (rejected attempts never reach the transcript)."""
    return [c for m in messages if m.role == "assistant" for c in m.tool_calls]


def _clip(text: str, limit: int = _MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _value_text(value: Any) -> str:
    if value is MISSING:
        return "(missing)"
    return _clip(json.dumps(value, ensure_ascii=False, default=str), _MAX_VALUE)


def leaf_differences(expected: Any, got: Any, path: str) -> list[str]:
    """``path expected X, got Y`` for each differing leaf (lists compared item by item when their
    lengths agree, so one wrong field in a long record is named, not hidden in a clipped dump)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        keys = list(dict.fromkeys([*expected, *got]))
        return [
            d
            for k in keys
            for d in leaf_differences(
                expected.get(k, MISSING), got.get(k, MISSING), f"{path}.{k}" if path else k
            )
        ]
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [
            d for i, (e, g) in enumerate(zip(expected, got)) for d in leaf_differences(e, g, f"{path}[{i}]")
        ]
    if expected is not MISSING and got is not MISSING and expected == got:
        return []
    return [f"{path} expected {_value_text(expected)}, got {_value_text(got)}"]


def state_differences(episode: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """Where the episode's data differs from the expected data, one line per differing field,
    addressed as ``table/record.field`` (records of a table keyed by their id)."""
    lines: list[str] = []
    for table in dict.fromkeys([*expected, *episode]):
        want, have = expected.get(table, MISSING), episode.get(table, MISSING)
        if want == have:
            continue
        if isinstance(want, dict) and isinstance(have, dict):
            for key in dict.fromkeys([*want, *have]):
                w, h = want.get(key, MISSING), have.get(key, MISSING)
                if w == h:
                    continue
                where = f"{table}/{key}"
                if w is MISSING:
                    lines.append(f"{where} expected no such record, got one (the agent created it)")
                elif h is MISSING:
                    lines.append(f"{where} expected a record, got none (never created)")
                else:
                    lines.extend(leaf_differences(w, h, where))
        else:
            lines.extend(leaf_differences(want, have, table))
    return [_clip(line) for line in lines[:_MAX_DIFFERENCES]]


def gold_action_outcomes(
    gold: list[GoldAction], calls: list[ToolCall], schemas: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """(missed, wrong-argument) gold actions; see the module docstring."""

    def differences(action: GoldAction, call: ToolCall) -> list[str]:
        return arguments_match(call.arguments, action.kwargs, schemas.get(action.name, {}))

    def matches(action: GoldAction, call: ToolCall) -> bool:
        return call.name == action.name and not differences(action, call)

    used = {id(c) for c in calls if any(matches(a, c) for a in gold)}
    missed: list[dict[str, Any]] = []
    wrong: list[str] = []
    for action in gold:
        if any(matches(action, c) for c in calls):
            continue
        same_tool = [c for c in calls if c.name == action.name and id(c) not in used]
        if not same_tool:
            missed.append({"name": action.name, "arguments": dict(action.kwargs)})
            continue
        closest = min(same_tool, key=lambda c: len(differences(action, c)))
        parts = [
            d
            for key in differences(action, closest)
            for d in leaf_differences(
                action.kwargs.get(key, MISSING), closest.arguments.get(key, MISSING), key
            )
        ]
        wrong.append(f"{action.name}: " + "; ".join(parts))
    return missed, wrong


def _tool_errors(messages: list[Message]) -> list[str]:
    return [
        _clip(f"{m.tool_name or 'tool'}: {' '.join(m.content.split())}")
        for m in messages
        if m.role == "tool" and m.error
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


def _database(domain: Domain, task: TauTraitTask, calls: list[ToolCall]) -> tuple[bool, list[str]]:
    episode = replay_calls(domain, ((c.name, c.arguments) for c in calls))
    expected = gold_data(domain, task)
    if data_hash(episode) == data_hash(expected):
        return True, []
    return False, state_differences(episode, expected)


def evidence_from_record(
    record: dict[str, Any], task: TauTraitTask | None = None, max_transcript_chars: int = 12000
) -> FailureEvidence:
    """``FailureEvidence`` of one episode record; ``task`` defaults to the record's task."""
    task = task if task is not None else record_task(record)
    messages = record_messages(record)
    calls = agent_calls(messages)
    details = record.get("reward_details") or {}
    missed: list[dict[str, Any]] = []
    wrong: list[str] = []
    differences: list[str] = []
    db_match = details.get("db_match")
    missing = [output for output, found in (details.get("outputs") or {}).items() if not found]
    if task is not None:
        domain = load_domain(task.domain)
        schemas = {s.name: s.parameters for s in tool_specs(domain)}
        gold = [action for _, action in agent_gold_actions(task, domain)]
        missed, wrong = gold_action_outcomes(gold, calls, schemas)
        db_match, differences = _database(domain, task, calls)
        replies = agent_replies(messages)
        missing = [output for output in task.outputs if not output_found(output, replies)]
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
        state_differences=differences,
        missing_information=missing,
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
        condensed_trajectory=condense_trajectory(messages, max_total_chars=max_transcript_chars),
    )

"""Decision-level evaluation, benchmark-neutral: the agent's next action on a gold prefix, scored exactly.

A benchmark builds ``DecisionPoint``s (the state before a gold agent action, and that action);
this module asks an agent on each, scores the answer (``name_ok`` = same tool; ``exact_ok`` =
same tool and arguments equal after schema-typed normalisation on the compared keys, see
``matching.py``), and appends one record per answer to ``<out>/decisions.jsonl``, resumably.
``derivable`` marks points whose gold argument values all occur in what the agent sees.

No user simulator: cheap enough for small models, and deterministic at temperature 0. With
sampling on, each point can be asked in k trials; trial i runs on an LM copy whose
``rollout_id`` is the trial's seed (``lm_for_seed``), so DSPy's response cache neither replays
trial 0 nor mixes trials, and a rerun of the same trial is a cache hit. ~100+ points are needed
to see differences of a few points (docs/design.md §8), so summaries report counts next to
accuracies.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fama_dspy.adapters import current_prompt_layout
from fama_dspy.conversation import DecisionState
from fama_dspy.errors import ConfigError
from fama_dspy.identifiers import seen_identifiers, unseen_identifiers
from fama_dspy.parallel import map_in_context
from fama_dspy.progress import RunProgress
from fama_dspy.prompt_cache import prime_prompt_cache
from fama_dspy.results.decision_log import (
    info_cache_hits,
    info_lm_calls,
    info_parse_failures,
    info_usage,
    read_output,
)
from fama_dspy.results.fatal import is_endpoint_failure
from fama_dspy.results.matching import arguments_match
from fama_dspy.results.records import JsonlAppender, dedupe, read_jsonl
from fama_dspy.signatures.action import AgentAction
from fama_dspy.validation import validate_action

DECISIONS_FILE = "decisions.jsonl"
#: Version of the records and of the view they were made on. 2: the request in the user's first
#: person. 3: answers decoded under a decoding mode and id policy (recorded per answer); version-2
#: records were all JSON mode with free ids. Records of another version are not resumed into.
RECORD_VERSION = 3
RECOMMENDED_POINTS = 100


class DecisionPoint(BaseModel):
    """One gold decision: the state before it and the gold action."""

    id: str  # "{domain}/{task_id}/{index}", index = position in the task's gold action list
    domain: str
    task_id: str
    index: int
    solo: bool
    state: DecisionState
    gold: AgentAction
    compare_args: list[str] | None = None
    writes: bool | None = None
    derivable: bool
    underivable: list[str] = Field(default_factory=list)


def visible_text(state: DecisionState) -> str:
    """Everything the agent sees except the policy and tool docs: messages, its calls, the ticket."""
    parts = [state.ticket or ""]
    for m in state.messages:
        parts.append(m.content)
        parts.extend(json.dumps(c.arguments, ensure_ascii=False) for c in m.tool_calls)
    return "\n".join(parts)


class DecisionScore(BaseModel):
    name_ok: bool
    exact_ok: bool
    mismatched_args: list[str] = Field(default_factory=list)


def score_action(action: AgentAction, point: DecisionPoint) -> DecisionScore:
    if action.kind != "tool_call" or action.tool_name != point.gold.tool_name:
        return DecisionScore(name_ok=False, exact_ok=False)
    spec = point.state.tool(point.gold.tool_name)
    mismatched = arguments_match(
        action.arguments, point.gold.arguments, spec.parameters if spec else {}, point.compare_args
    )
    return DecisionScore(name_ok=True, exact_ok=not mismatched, mismatched_args=mismatched)


def record_trial(record: dict[str, Any]) -> int:
    """The record's trial; records written before trials existed are trial 0."""
    return int(record.get("trial") or 0)


def decision_key(record: dict[str, Any]) -> tuple:
    return (record.get("config"), record.get("point_id"), record_trial(record))


def evaluate_point(
    agent: Any, point: DecisionPoint, config_name: str, trial: int = 0, seed: int | None = None
) -> dict[str, Any]:
    """Ask the agent once on the point's state; a refused connection propagates, other errors are recorded."""
    started = time.perf_counter()
    error = None
    action: AgentAction | None = None
    info: dict[str, Any] = {}
    try:
        action, info = read_output(agent(state=point.state))
    except Exception as exc:
        if is_endpoint_failure(exc):
            raise
        error = f"{type(exc).__name__}: {exc}"
    latency = time.perf_counter() - started
    score = (
        score_action(action, point) if action is not None else DecisionScore(name_ok=False, exact_ok=False)
    )
    validation = validate_action(action, point.state.tools, solo=point.solo) if action is not None else None
    unseen: list[tuple[str, str]] = []
    if action is not None and action.kind == "tool_call":
        unseen = unseen_identifiers(
            point.state.tool(action.tool_name), action.arguments, seen_identifiers(point.state)
        )
    return {
        "version": RECORD_VERSION,
        "config": config_name,
        "point_id": point.id,
        "trial": trial,
        "seed": seed,
        "domain": point.domain,
        "task_id": point.task_id,
        "index": point.index,
        "solo": point.solo,
        "derivable": point.derivable,
        "writes": point.writes,
        "gold": point.gold.model_dump(),
        "action": action.model_dump() if action is not None else None,
        "name_ok": score.name_ok,
        "exact_ok": score.exact_ok,
        "mismatched_args": score.mismatched_args,
        "valid": action is not None and validation is None,
        "validation_error": validation,
        "error": error,
        "latency_s": round(latency, 4),
        "lm_calls": info_lm_calls(info),
        "cache_hits": info_cache_hits(info),
        "usage": info_usage(info),
        "parse_failures": info_parse_failures(info),
        "truncations": int(info.get("truncations") or 0),
        "decoding": info.get("decoding"),
        "prompt_layout": current_prompt_layout(),
        "id_policy": info.get("id_policy"),
        # Counted whatever the policy, so an ids-free run shows how often the model invents one.
        "unseen_id_calls": int(bool(unseen)),
        "unseen_ids": [f"{p}={v}" for p, v in unseen],
        "unseen_id_rejections": int(info.get("unseen_id_rejections") or 0),
        "message_for_call": bool(
            action is not None and action.kind == "message" and point.gold.kind == "tool_call"
        ),
        "info": info,
    }


def task_groups(todo: Sequence[tuple[int, DecisionPoint]]) -> list[list[tuple[int, DecisionPoint]]]:
    """``todo`` as one group per (trial, task), points in gold order, groups in first-seen order.

    A worker answers a group in order: each point's prompt extends the previous point's
    conversation, so the server reuses the prompt it cached for that point (llama-server picks the
    slot with the longest common prefix) and prefills only the new turns. Interleaving a task's
    points across workers made every request prefill the whole conversation again.
    """
    groups: dict[tuple[int, str, str], list[tuple[int, DecisionPoint]]] = {}
    for trial, point in todo:
        groups.setdefault((trial, point.domain, point.task_id), []).append((trial, point))
    return [sorted(group, key=lambda item: item[1].index) for group in groups.values()]


def _run_in_order(
    job: Callable[..., Any], group: list[tuple[int, DecisionPoint]], bar: RunProgress, bar_task: Any
) -> None:
    for trial, point in group:
        job(trial, point)
        bar.advance(bar_task)


def evaluate_decisions(
    agent: Any,
    points: Sequence[DecisionPoint],
    out: Path | str,
    config_name: str = "default",
    concurrency: int = 1,
    progress: bool = False,
    console: Console | None = None,
    seeds: Sequence[int | None] | None = None,
    lm_for_seed: Callable[[int], Any] | None = None,
) -> list[dict[str, Any]]:
    """Score ``agent`` on each point, once per trial; append one line per answer to ``<out>/decisions.jsonl``.

    ``seeds`` holds one seed per trial (default: one trial, no seed). With ``lm_for_seed``, trial
    i's calls run on ``lm_for_seed(seeds[i])`` (an LM copy with that ``rollout_id``): distinct
    samples per trial at temperature > 0. Resumable: (point, trial) pairs already recorded for
    ``config_name`` are skipped. Returns the records of ``points``, by point then trial.
    """
    import dspy

    out = Path(out)
    seeds = list(seeds) if seeds else [None]
    appender = JsonlAppender(out / DECISIONS_FILE)
    existing = read_jsonl(out / DECISIONS_FILE)
    stale = sorted({r.get("version") for r in existing} - {RECORD_VERSION}, key=str)
    if stale:
        raise ConfigError(
            f"{out / DECISIONS_FILE} holds records of decision-view version {', '.join(map(str, stale))}, not "
            f"{RECORD_VERSION}: their points showed the agent a different state. Write to a new --out."
        )
    done = {decision_key(r) for r in existing}
    # Trial-major order: an interrupted run has whole trials, comparable across configurations.
    todo = [
        (trial, p) for trial in range(len(seeds)) for p in points if (config_name, p.id, trial) not in done
    ]

    def job(trial: int, point: DecisionPoint) -> dict[str, Any]:
        seed = seeds[trial]
        if lm_for_seed is not None and seed is not None:
            with dspy.context(lm=lm_for_seed(seed)):
                record = evaluate_point(agent, point, config_name, trial, seed)
        else:
            record = evaluate_point(agent, point, config_name, trial, seed)
        appender.append(record)
        return record

    bar = RunProgress.counting(console, disable=not progress)
    with bar:
        bar_task = bar.add_task(f"{escape(config_name)} decisions", total=len(todo))
        if concurrency <= 1:
            for trial, point in todo:
                job(trial, point)
                bar.advance(bar_task)
        else:
            # Concurrent requests on empty server slots would each prefill the shared domain block.
            seed0 = seeds[todo[0][0]] if todo else None
            lm = lm_for_seed(seed0) if lm_for_seed is not None and seed0 is not None else dspy.settings.lm
            prime_prompt_cache(lm, [p.state for _, p in todo])
            map_in_context(
                lambda group: _run_in_order(job, group, bar, bar_task), task_groups(todo), concurrency
            )
    by_key = {(r["point_id"], record_trial(r)): r for r in load_decision_results(out, config_name)}
    return [by_key[(p.id, t)] for p in points for t in range(len(seeds)) if (p.id, t) in by_key]


def load_decision_results(out: Path | str, config_name: str | None = None) -> list[dict[str, Any]]:
    path = Path(out)
    if path.is_dir() or path.suffix != ".jsonl":
        path = path / DECISIONS_FILE
    records = dedupe(read_jsonl(path), key=decision_key)
    return [r for r in records if config_name is None or r.get("config") == config_name]


def _rate(records: list[dict[str, Any]], field: str) -> float | None:
    return sum(1 for r in records if r.get(field)) / len(records) if records else None


def summarize_decisions(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy on name and on name+arguments, overall and on the derivable subset, with counts.

    ``n`` counts answers (points × trials); accuracies are over answers, so with k trials each
    point weighs the same as with one.
    """
    derivable = [r for r in records if r.get("derivable")]

    def block(rs: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "n": len(rs),
            "points": len({r.get("point_id") for r in rs}),
            "name_correct": sum(1 for r in rs if r.get("name_ok")),
            "exact_correct": sum(1 for r in rs if r.get("exact_ok")),
            "name_accuracy": _rate(rs, "name_ok"),
            "exact_accuracy": _rate(rs, "exact_ok"),
        }

    usage = [r.get("usage") or {} for r in records]
    return {
        "configs": sorted({str(r.get("config")) for r in records}),
        **block(records),
        "trials": max((record_trial(r) + 1 for r in records), default=0),
        "derivable": block(derivable),
        "valid_rate": _rate(records, "valid"),
        "errors": sum(1 for r in records if r.get("error")),
        "parse_failures": sum(int(r.get("parse_failures") or 0) for r in records),
        "truncations": sum(int(r.get("truncations") or 0) for r in records),
        "unseen_id_calls": sum(int(r.get("unseen_id_calls") or 0) for r in records),
        "messages_for_calls": sum(1 for r in records if r.get("message_for_call")),
        "mean_completion_tokens": sum(u.get("completion_tokens", 0) for u in usage) / len(records)
        if records
        else None,
        "mean_latency_s": sum(float(r.get("latency_s") or 0) for r in records) / len(records)
        if records
        else None,
        "mean_prompt_tokens": sum(u.get("prompt_tokens", 0) for u in usage) / len(records)
        if records
        else None,
        "enough_points": len({r.get("point_id") for r in records}) >= RECOMMENDED_POINTS,
    }


def decision_table(summaries: dict[str, dict[str, Any]], title: str = "Decisions") -> Table:
    """One row per config: ``{config: summarize_decisions(records of that config)}``."""
    table = Table(title=title)
    for column in (
        "config",
        "points",
        "name acc",
        "exact acc",
        "derivable",
        "name acc (der.)",
        "exact acc (der.)",
        "valid",
        "msg for call",
        "parse fail",
        "cut",
        "unseen ids",
        "errors",
        "s/point",
    ):
        table.add_column(column, justify="left" if column == "config" else "right")

    def pct(v: float | None) -> str:
        return "-" if v is None else f"{100 * v:.1f}%"

    for config, s in summaries.items():
        d = s["derivable"]
        table.add_row(
            config,
            str(s["points"]) + (f" ×{s['trials']}" if s["trials"] > 1 else ""),
            f"{pct(s['name_accuracy'])} ({s['name_correct']})",
            f"{pct(s['exact_accuracy'])} ({s['exact_correct']})",
            str(d["points"]),
            pct(d["name_accuracy"]),
            pct(d["exact_accuracy"]),
            pct(s["valid_rate"]),
            str(s["messages_for_calls"]),
            str(s["parse_failures"]),
            str(s["truncations"]),
            str(s["unseen_id_calls"]),
            str(s["errors"]),
            "-" if s["mean_latency_s"] is None else f"{s['mean_latency_s']:.2f}",
        )
    return table

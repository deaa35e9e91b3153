"""Comparison tables of a benchmark run: one row per (setting, configuration), as plain data.

Every FAMA or IRMA configuration is compared with the base agent it wraps, never with another
base mode (a FAMA-on-FC gain is measured against FC, not against ReAct). ``base_of`` decides the
base of a configuration, first rule that applies:
1. an explicit mapping ``{config: base config}`` (e.g. from the bench manifest, or ``--base``);
   a value of None means "no base";
2. ``react`` and ``fc`` are base agents themselves: no base;
3. a ``base`` field in the configuration's records (``react`` / ``fc``);
4. the name convention of ``fama_dspy.commands.options.agent_choice``: ``irma[fc]``,
   ``fama[react:dce+mem]``, ``fama-compiled[fc:...]`` — the first bracketed word when it is a base
   mode. A compiled program's default name (``fama-compiled[<file stem>]``) says nothing about its
   base, so ``fama bench`` records it in its manifest (rule 1);
5. otherwise none (τ²'s ``tau2-llm-agent`` included): the row shows no Δ.

Episode comparisons pair the *tasks* both configurations ran (Δpass^1 and the overhead ratios
use only those); decision comparisons pair the *points* both answered.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from fama_dspy.report.stats import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    bootstrap_mean,
    paired_mean_difference,
    paired_pass1_difference,
    pass_hat_k_curve,
    relative_overhead,
    success_counts,
)
from fama_dspy.results.decisions import record_trial, summarize_decisions
from fama_dspy.results.records import is_success
from fama_dspy.results.summary import summarize

BASE_MODES = ("react", "fc")
_BRACKETED_BASE = re.compile(r"^[\w.-]+\[(?P<base>[\w-]+)(?:[:\]])")


def base_from_name(config: str) -> str | None:
    """``irma[fc]`` → fc, ``fama[react:dce+mem]`` → react; None when the name does not say."""
    match = _BRACKETED_BASE.match(config or "")
    if match and match.group("base") in BASE_MODES:
        return match.group("base")
    return None


def base_of(
    config: str, records: Iterable[dict[str, Any]] = (), mapping: Mapping[str, str | None] | None = None
) -> str | None:
    """The base configuration ``config`` is compared with (module docstring: the rule)."""
    if mapping is not None and config in mapping:
        return mapping[config] or None
    if config in BASE_MODES:
        return None
    recorded = {r.get("base") for r in records if r.get("config") == config and r.get("base") in BASE_MODES}
    if len(recorded) == 1:
        return recorded.pop()
    return base_from_name(config)


# -- episodes ---------------------------------------------------------------------------------------


def setting_key(record: dict[str, Any]) -> tuple:
    """Episodes are only comparable within one (domain, split, solo, user) setting."""
    return (record.get("domain"), record.get("split"), bool(record.get("solo")), record.get("user"))


def setting_label(key: tuple) -> str:
    domain, split, solo, user = key
    return f"{domain} {split} " + ("solo" if solo else f"interactive/{user}")


def _task(record: dict[str, Any]) -> str:
    return str(record.get("task_id"))


def task_success_flags(records: Iterable[dict[str, Any]]) -> dict[str, list[bool]]:
    """Task → success of each trial, in trial order (errored episodes are failures)."""
    by_task: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for r in records:
        by_task[_task(r)].append(
            (int(r.get("trial", 0)), bool(r.get("success", is_success(r.get("reward")))))
        )
    return {task: [ok for _, ok in sorted(trials)] for task, trials in by_task.items()}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _cached(item: dict[str, Any]) -> bool:
    """A decision (or episode total) that DSPy's response cache answered, in whole or in part."""
    return int(item.get("cache_hits") or 0) > 0


def episode_costs(records: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Agent-side cost per episode and per decision (user simulator tokens are kept apart).

    Decisions answered from DSPy's response cache cost no tokens and almost no time; averaging over
    them would make a configuration look cheaper than it is. Per-decision costs are therefore over
    the decisions that were fully served, per-episode costs over the episodes without cache hits
    (``cached_decisions`` counts what was left out).
    """
    totals = [r.get("totals") or {} for r in records]
    decisions = sum(int(t.get("decisions", len(r.get("decisions") or []))) for t, r in zip(totals, records))
    served_totals = [t for t in totals if not _cached(t)]
    served_decisions = [d for r in records for d in (r.get("decisions") or []) if not _cached(d)]
    cached_decisions = sum(1 for r in records for d in (r.get("decisions") or []) if _cached(d))

    def per_episode(field: str) -> float | None:
        return _mean([float(t.get(field) or 0) for t in served_totals])

    def decision_value(d: dict[str, Any], field: str) -> float:
        if field == "agent_seconds":
            return float(d.get("latency_s") or 0)
        if field in ("prompt_tokens", "completion_tokens"):
            return float((d.get("usage") or {}).get(field) or 0)
        return float(d.get(field) or 0)

    def per_decision(field: str) -> float | None:
        return _mean([decision_value(d, field) for d in served_decisions])

    fields = ("lm_calls", "prompt_tokens", "completion_tokens", "agent_seconds")
    episode = {f: per_episode(f) for f in fields}
    decision = {f: per_decision(f) for f in fields}
    episode["tokens"] = _sum_or_none(episode["prompt_tokens"], episode["completion_tokens"])
    decision["tokens"] = _sum_or_none(decision["prompt_tokens"], decision["completion_tokens"])
    episode["decisions"] = decisions / len(records) if records else None
    episode["wall_seconds"] = _mean([float(r.get("duration_s") or 0) for r in records])
    episode["user_tokens"] = _mean(
        [
            float(t.get("user_prompt_tokens") or 0) + float(t.get("user_completion_tokens") or 0)
            for t in totals
        ]
    )
    decision["cached_decisions"] = cached_decisions
    return {"per_episode": episode, "per_decision": decision}


def _sum_or_none(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _overheads(costs: dict, base_costs: dict, unit: str) -> dict[str, float | None]:
    """Relative extra cost vs the base, per ``unit`` and per decision (0.3 = 30 % more)."""
    own, base = costs[f"per_{unit}"], base_costs[f"per_{unit}"]
    dec, base_dec = costs["per_decision"], base_costs["per_decision"]
    return {
        f"tokens_per_{unit}": relative_overhead(own["tokens"], base["tokens"]),
        "tokens_per_decision": relative_overhead(dec["tokens"], base_dec["tokens"]),
        f"seconds_per_{unit}": relative_overhead(own["agent_seconds"], base["agent_seconds"]),
        "seconds_per_decision": relative_overhead(dec["agent_seconds"], base_dec["agent_seconds"]),
    }


def _score_value(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def score_components(records: Iterable[dict[str, Any]]) -> list[str]:
    """The reward components a benchmark records (``reward_breakdown``) that say more than the reward:
    numeric in every scored record, and different from the reward in at least one (ACEBench's
    ``process`` accuracy; its ``end_to_end`` *is* the reward)."""
    scored = [r for r in records if r.get("reward_breakdown")]
    if not scored:
        return []
    names = set.intersection(
        *({k for k, v in r["reward_breakdown"].items() if _score_value(v) is not None} for r in scored)
    )
    return sorted(
        n
        for n in names
        if any(_score_value(r["reward_breakdown"][n]) != float(r.get("reward") or 0.0) for r in scored)
    )


def task_scores(records: Iterable[dict[str, Any]], name: str) -> dict[str, list[float]]:
    """Per task, the component ``name`` of each scored episode (an error record has none)."""
    scores: dict[str, list[float]] = defaultdict(list)
    for r in records:
        value = _score_value((r.get("reward_breakdown") or {}).get(name))
        if value is not None:
            scores[_task(r)].append(value)
    return dict(scores)


def episode_rows(
    records: list[dict[str, Any]],
    base_map: Mapping[str, str | None] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> list[dict[str, Any]]:
    """One row per (setting, configuration), settings and configurations in first-seen order."""
    by_setting: dict[tuple, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        by_setting[setting_key(r)][str(r.get("config"))].append(r)
    rows = []
    for key, by_config in by_setting.items():
        components = score_components(r for group in by_config.values() for r in group)
        for config, group in by_config.items():
            row = _episode_row(key, config, group, by_config, records, base_map, resamples, seed)
            row.update(_score_cells(config, group, by_config, row["base"], components, resamples, seed))
            rows.append(row)
    return rows


def _score_cells(config, group, by_config, base, components, resamples, seed) -> dict[str, Any]:
    """Each reward component's mean over tasks (interval) and its paired Δ vs the base."""
    scores, deltas = {}, {}
    base_group = by_config.get(base) if base else None
    for name in components:
        own = task_scores(group, name)
        if not own:
            continue
        scores[name] = bootstrap_mean([sum(v) / len(v) for v in own.values()], resamples, seed=seed).as_dict()
        if base_group:
            delta = paired_mean_difference(own, task_scores(base_group, name), resamples=resamples, seed=seed)
            deltas[name] = delta.as_dict() if delta is not None else None
    return {"scores": scores, "delta_scores": deltas}


def _episode_row(key, config, group, by_config, all_records, base_map, resamples, seed) -> dict[str, Any]:
    summary = summarize(group)
    flags = task_success_flags(group)
    totals = [r.get("totals") or {} for r in group]
    trial_counts = [len(v) for v in flags.values()]
    base = base_of(config, all_records, base_map)
    row: dict[str, Any] = {
        "setting": setting_label(key),
        "domain": key[0],
        "split": key[1],
        "mode": "solo" if key[2] else "interactive",
        "user": key[3],
        "config": config,
        "base": base,
        "tasks": len(flags),
        "episodes": len(group),
        "trials_min": min(trial_counts),
        "trials_max": max(trial_counts),
        "errors": summary["errors"],
        "mean_reward": summary["mean_reward"],
        "pass_hat_k": pass_hat_k_curve(list(success_counts(flags).values())),
        "pass1_interval": bootstrap_mean(
            [sum(f) / len(f) for f in flags.values()], resamples, seed=seed
        ).as_dict(),
        "termination": summary["termination"],
        "parse_failures": summary["parse_failures"],
        "invalid_actions": summary["invalid_actions"],
        "fallbacks": sum(int(t.get("fallbacks", 0)) for t in totals),
        "repeated_calls": sum(int(t.get("repeated_calls", 0)) for t in totals),
        "user_in_role_rate": summary["user_in_role_rate"],
        **episode_costs(group),
        "base_present": False,
        "paired_tasks": 0,
        "delta_pass1": None,
        "overhead": None,
    }
    base_group = by_config.get(base) if base else None
    if base_group:
        base_flags = task_success_flags(base_group)
        shared = {t for t in flags if t in base_flags}
        delta = paired_pass1_difference(flags, base_flags, resamples=resamples, seed=seed)
        own_shared = [r for r in group if _task(r) in shared]
        base_shared = [r for r in base_group if _task(r) in shared]
        row.update(
            base_present=True,
            paired_tasks=len(shared),
            delta_pass1=delta.as_dict() if delta is not None else None,
            overhead=_overheads(episode_costs(own_shared), episode_costs(base_shared), "episode")
            if shared
            else None,
        )
    return row


# -- decisions --------------------------------------------------------------------------------------


def decision_setting_key(record: dict[str, Any]) -> tuple:
    return (record.get("domain"), bool(record.get("solo")))


def decision_setting_label(key: tuple) -> str:
    domain, solo = key
    return f"{domain} decisions" + (" (solo view)" if solo else "")


def decision_costs(records: list[dict[str, Any]]) -> dict[str, float | None]:
    """Mean cost per answer over the answers DSPy's cache did not serve (see ``episode_costs``)."""
    served = [r for r in records if not _cached(r)]
    usage = [r.get("usage") or {} for r in served]
    prompt = _mean([float(u.get("prompt_tokens") or 0) for u in usage])
    completion = _mean([float(u.get("completion_tokens") or 0) for u in usage])
    return {
        "lm_calls": _mean([float(r.get("lm_calls") or 0) for r in served]),
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "tokens": _sum_or_none(prompt, completion),
        "agent_seconds": _mean([float(r.get("latency_s") or 0) for r in served]),
        "cached_answers": len(records) - len(served),
    }


def point_flags(records: Iterable[dict[str, Any]], field: str) -> dict[str, list[bool]]:
    """Point id → the field's flag per trial, in trial order (a point's trials are its pass^k trials)."""
    by_point: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for r in records:
        by_point[str(r.get("point_id"))].append((record_trial(r), bool(r.get(field))))
    return {p: [ok for _, ok in sorted(flags)] for p, flags in by_point.items()}


def decision_rows(
    records: list[dict[str, Any]],
    base_map: Mapping[str, str | None] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> list[dict[str, Any]]:
    """One row per (domain/view, configuration) of decision-level results.

    With k trials per point, a point is scored like a τ² task: exact pass^1 … pass^k over points,
    and the intervals resample *points* (a point's trials stay together), so trials narrow the
    interval only as far as they reduce each point's noise.
    """
    by_setting: dict[tuple, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        by_setting[decision_setting_key(r)][str(r.get("config"))].append(r)
    rows = []
    for key, by_config in by_setting.items():
        for config, group in by_config.items():
            summary = summarize_decisions(group)
            exact = point_flags(group, "exact_ok")
            trial_counts = [len(v) for v in exact.values()]
            base = base_of(config, records, base_map)
            row: dict[str, Any] = {
                "setting": decision_setting_label(key),
                "domain": key[0],
                "mode": "decisions",
                "config": config,
                "base": base,
                "points": len(exact),
                "answers": summary["n"],
                "trials_min": min(trial_counts),
                "trials_max": max(trial_counts),
                "tasks": len({str(r.get("task_id")) for r in group}),
                "name_correct": summary["name_correct"],
                "exact_correct": summary["exact_correct"],
                "name_accuracy": summary["name_accuracy"],
                "exact_accuracy": summary["exact_accuracy"],
                "exact_pass_hat_k": pass_hat_k_curve(list(success_counts(exact).values())),
                "exact_interval": bootstrap_mean(
                    [sum(f) / len(f) for f in exact.values()], resamples, seed=seed
                ).as_dict(),
                "derivable": summary["derivable"],
                "valid_rate": summary["valid_rate"],
                "errors": summary["errors"],
                "parse_failures": summary["parse_failures"],
                "per_point": decision_costs(group),
                "base_present": False,
                "paired_points": 0,
                "delta_name": None,
                "delta_exact": None,
                "delta_exact_derivable": None,
                "overhead": None,
            }
            base_group = by_config.get(base) if base else None
            if base_group:
                row.update(_decision_deltas(group, base_group, resamples, seed))
            rows.append(row)
    return rows


def _decision_deltas(group, base_group, resamples: int, seed: int) -> dict[str, Any]:
    own_points = point_flags(group, "exact_ok")
    base_points = point_flags(base_group, "exact_ok")
    shared = {p for p in own_points if p in base_points}
    derivable = {str(r.get("point_id")) for r in group if r.get("derivable")} & shared

    def delta(field: str, points: set[str]) -> dict | None:
        own = {p: f for p, f in point_flags(group, field).items() if p in points}
        base = {p: f for p, f in point_flags(base_group, field).items() if p in points}
        # Per point: own success rate − base success rate over its trials (= Δaccuracy with one trial).
        result = paired_pass1_difference(own, base, resamples=resamples, seed=seed)
        return result.as_dict() if result is not None else None

    own_costs = decision_costs([r for r in group if str(r.get("point_id")) in shared])
    base_costs = decision_costs([r for r in base_group if str(r.get("point_id")) in shared])
    return {
        "base_present": True,
        "paired_points": len(shared),
        "delta_name": delta("name_ok", shared),
        "delta_exact": delta("exact_ok", shared),
        "delta_exact_derivable": delta("exact_ok", derivable),
        "overhead": {
            "tokens_per_decision": relative_overhead(own_costs["tokens"], base_costs["tokens"]),
            "seconds_per_decision": relative_overhead(
                own_costs["agent_seconds"], base_costs["agent_seconds"]
            ),
        }
        if shared
        else None,
    }


# -- formatting -------------------------------------------------------------------------------------


def fmt_rate(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def fmt_number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def fmt_overhead(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:+.0f}%"


def fmt_delta(interval: dict | None) -> str:
    """``+10.0 pts [-5.0, +25.0]``: difference of rates, in percentage points, with its interval."""
    if not interval:
        return "-"
    return (
        f"{100 * interval['estimate']:+.1f} pts [{100 * interval['low']:+.1f}, {100 * interval['high']:+.1f}]"
    )


def fmt_termination(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in Counter(counts).most_common())


def pass_k_values(row: dict[str, Any]) -> dict[int, float]:
    """pass^k by integer k (JSON round trips turn the keys into strings)."""
    return {int(k): v for k, v in row["pass_hat_k"].items()}


def max_k(rows: list[dict[str, Any]]) -> int:
    return max((max(pass_k_values(r), default=0) for r in rows), default=0)


def _delta_cell(row: dict[str, Any], interval: dict | None) -> str:
    """The Δ, or why there is none: a base agent, a base that did not run here, or no base."""
    if interval:
        return fmt_delta(interval)
    if row["config"] in BASE_MODES and row["base"] is None:
        return "base"
    if row["base"] and not row["base_present"]:
        return f"({row['base']} not run)"
    if row["base"]:
        return "(no shared units)"
    return "-"


Column = tuple[str, Callable[[dict[str, Any]], str], bool]  # header, cell of a row, shown in compact tables


def _share(interval: dict | None) -> str:
    return fmt_number(interval["share_at_or_below_zero"], 3) if interval else "-"


def _episode_columns(k: int) -> list[Column]:
    def over(row: dict[str, Any], field: str) -> str:
        return fmt_overhead((row["overhead"] or {}).get(field))

    columns: list[Column] = [
        ("config", lambda r: r["config"], True),
        ("base", lambda r: r["base"] or "-", True),
        ("tasks", lambda r: str(r["tasks"]), True),
        ("episodes", lambda r: str(r["episodes"]), True),
        ("reward", lambda r: fmt_number(r["mean_reward"], 3), False),
    ]
    columns += [
        (f"pass^{i}", lambda r, i=i: fmt_number(pass_k_values(r).get(i), 3), True) for i in range(1, k + 1)
    ]
    columns += [
        ("Δpass^1 vs base [95% CI]", lambda r: _delta_cell(r, r["delta_pass1"]), True),
        ("P(Δ≤0)", lambda r: _share(r["delta_pass1"]), True),
        ("LM calls/episode", lambda r: fmt_number(r["per_episode"]["lm_calls"], 1), False),
        ("tok/episode", lambda r: fmt_number(r["per_episode"]["tokens"]), False),
        ("prompt tok/decision", lambda r: fmt_number(r["per_decision"]["prompt_tokens"]), False),
        ("compl tok/decision", lambda r: fmt_number(r["per_decision"]["completion_tokens"]), False),
        ("tok/decision", lambda r: fmt_number(r["per_decision"]["tokens"]), True),
        ("tok overhead", lambda r: over(r, "tokens_per_decision"), True),
        ("s/episode", lambda r: fmt_number(r["per_episode"]["agent_seconds"], 1), False),
        ("s/decision", lambda r: fmt_number(r["per_decision"]["agent_seconds"], 2), True),
        ("cached", lambda r: str(r["per_decision"].get("cached_decisions", 0)), False),
        ("time overhead", lambda r: over(r, "seconds_per_decision"), True),
        ("parse fail", lambda r: str(r["parse_failures"]), True),
        ("errors", lambda r: str(r["errors"]), True),
        ("termination", lambda r: fmt_termination(r["termination"]), False),
    ]
    return columns


def _trials(row: dict[str, Any]) -> str:
    low, high = row.get("trials_min", 1), row.get("trials_max", 1)
    return str(low) if low == high else f"{low}–{high}"


def _decision_columns(k: int = 1) -> list[Column]:
    def over(row: dict[str, Any]) -> str:
        return fmt_overhead((row["overhead"] or {}).get("tokens_per_decision"))

    # exact pass^2 … pass^k: the share of points answered exactly in every one of k trials.
    pass_k: list[Column] = [
        (
            f"exact pass^{i}",
            lambda r, i=i: fmt_number(
                {int(j): v for j, v in (r.get("exact_pass_hat_k") or {}).items()}.get(i), 3
            ),
            True,
        )
        for i in range(2, k + 1)
    ]
    return [
        ("config", lambda r: r["config"], True),
        ("base", lambda r: r["base"] or "-", True),
        ("points", lambda r: str(r["points"]), True),
        ("trials", lambda r: _trials(r), True),
        ("name acc", lambda r: f"{fmt_rate(r['name_accuracy'])} ({r['name_correct']})", True),
        ("exact acc", lambda r: f"{fmt_rate(r['exact_accuracy'])} ({r['exact_correct']})", True),
        ("derivable", lambda r: str(r["derivable"].get("points", r["derivable"]["n"])), False),
        ("name acc (der.)", lambda r: fmt_rate(r["derivable"]["name_accuracy"]), False),
        ("exact acc (der.)", lambda r: fmt_rate(r["derivable"]["exact_accuracy"]), False),
        *pass_k,
        ("Δexact vs base [95% CI]", lambda r: _delta_cell(r, r["delta_exact"]), True),
        ("P(Δ≤0)", lambda r: _share(r["delta_exact"]), True),
        ("Δname vs base [95% CI]", lambda r: fmt_delta(r["delta_name"]), False),
        ("Δexact (der.)", lambda r: fmt_delta(r["delta_exact_derivable"]), False),
        ("LM calls/point", lambda r: fmt_number(r["per_point"]["lm_calls"], 1), False),
        ("prompt tok/point", lambda r: fmt_number(r["per_point"]["prompt_tokens"]), False),
        ("compl tok/point", lambda r: fmt_number(r["per_point"]["completion_tokens"]), False),
        ("tok/point", lambda r: fmt_number(r["per_point"]["tokens"]), True),
        ("tok overhead", over, True),
        ("s/point", lambda r: fmt_number(r["per_point"]["agent_seconds"], 2), True),
        ("cached", lambda r: str(r["per_point"].get("cached_answers", 0)), False),
        ("parse fail", lambda r: str(r["parse_failures"]), True),
        ("errors", lambda r: str(r["errors"]), True),
    ]


def _cells(
    columns: list[Column], rows: list[dict[str, Any]], compact: bool
) -> tuple[list[str], list[list[str]]]:
    chosen = [c for c in columns if c[2] or not compact]
    return [c[0] for c in chosen], [[cell(r) for _, cell, _ in chosen] for r in rows]


def episode_table_cells(
    rows: list[dict[str, Any]], compact: bool = False
) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the episode table of one setting; ``compact`` keeps the terminal's columns."""
    return _cells(_episode_columns(max_k(rows)), rows, compact)


def score_table_cells(rows: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]] | None:
    """The reward components of one setting (ACEBench: process accuracy): per configuration the mean
    over tasks and the paired Δ vs its base; None when the benchmark records none beyond the reward."""
    names = list(dict.fromkeys(n for r in rows for n in r.get("scores") or {}))
    if not names:
        return None
    columns: list[Column] = [
        ("config", lambda r: r["config"], True),
        ("base", lambda r: r["base"] or "-", True),
    ]
    for name in names:
        columns += [
            (
                name,
                lambda r, n=name: fmt_number(((r.get("scores") or {}).get(n) or {}).get("estimate"), 3),
                True,
            ),
            (
                f"Δ{name} vs base [95% CI]",
                lambda r, n=name: _delta_cell(r, (r.get("delta_scores") or {}).get(n)),
                True,
            ),
        ]
    return _cells(columns, rows, compact=True)


def decision_table_cells(
    rows: list[dict[str, Any]], compact: bool = False
) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the decision table of one setting; ``compact`` keeps the terminal's columns."""
    k = max((r.get("trials_min", 1) for r in rows), default=1)
    return _cells(_decision_columns(k), rows, compact)


def group_rows(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows by setting label, in first-seen order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["setting"], []).append(r)
    return groups

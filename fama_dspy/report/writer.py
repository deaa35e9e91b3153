"""``write_report``: a run directory's records → report.md, summary.csv, summary.json and PNG figures.

The report is rebuilt from the records every time (never updated in place), so it can be written
while a bench is still running, or again after a resumed one finishes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fama_dspy.errors import ConfigError
from fama_dspy.report.manifest import package_versions, read_manifest
from fama_dspy.report.markdown import render_markdown
from fama_dspy.report.plots import plot_failure_categories, plot_overhead_vs_gain, plot_pass_k, slug
from fama_dspy.report.stats import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, DEFAULT_SEED
from fama_dspy.report.tables import (
    decision_rows,
    decision_setting_key,
    decision_setting_label,
    episode_rows,
    group_rows,
    setting_key,
    setting_label,
)
from fama_dspy.results.decisions import RECOMMENDED_POINTS, load_decision_results
from fama_dspy.results.records import load_episodes

REPORT_DIR = "report"
REPORT_FILE = "report.md"
SUMMARY_CSV = "summary.csv"
SUMMARY_JSON = "summary.json"
#: Below this many tasks per setting the report says plainly that differences are mostly noise.
FEW_TASKS = 30


def _first_seen(values) -> list:
    return list(dict.fromkeys(values))


def _run_info(
    run_dir: Path, episodes: list[dict], decisions: list[dict], manifest: dict | None
) -> dict[str, Any]:
    manifest = manifest or {}
    settings: dict[str, dict[str, Any]] = {}
    for key in _first_seen(setting_key(r) for r in episodes):
        group = [r for r in episodes if setting_key(r) == key]
        trials_per_task: dict[str, int] = {}
        for r in group:
            trials_per_task[str(r.get("task_id"))] = max(
                trials_per_task.get(str(r.get("task_id")), 0), int(r.get("trial", 0)) + 1
            )
        counts = sorted(set(trials_per_task.values()))
        settings[setting_label(key)] = {
            "task_ids": _first_seen(str(r.get("task_id")) for r in group),
            "trials": counts[0] if len(counts) == 1 else f"{counts[0]}–{counts[-1]}",
            "seeds": sorted({r.get("seed") for r in group if r.get("seed") is not None}),
        }
    decision_settings = {}
    for key in _first_seen(decision_setting_key(r) for r in decisions):
        group = [r for r in decisions if decision_setting_key(r) == key]
        decision_settings[decision_setting_label(key)] = {
            "points": len({r.get("point_id") for r in group}),
            "task_ids": _first_seen(str(r.get("task_id")) for r in group),
            "trials": max(int(r.get("trial") or 0) + 1 for r in group),
            "seeds": sorted({r.get("seed") for r in group if r.get("seed") is not None}),
        }
    return {
        "run_dir": str(run_dir),
        "model": manifest.get("model") or "not recorded (the directory has no bench manifest)",
        "temperature": manifest.get("temperature"),
        "domains": _first_seen(str(r.get("domain")) for r in [*episodes, *decisions]),
        "splits": _first_seen(str(r.get("split")) for r in episodes if r.get("split"))
        or ([manifest["split"]] if manifest.get("split") else []),
        "user": manifest.get("user") if any(not r.get("solo") for r in episodes) else None,
        "user_model": manifest.get("user_model"),
        "max_steps": manifest.get("max_steps", _single({r.get("max_steps") for r in episodes})),
        "trials_requested": manifest.get("trials"),
        "configs": manifest.get("configs") or [],
        "settings": settings,
        "decision_settings": decision_settings,
    }


def _single(values: set) -> Any:
    values.discard(None)
    return values.pop() if len(values) == 1 else None


def noise_notes(summary: dict[str, Any]) -> list[str]:
    """Plain statements of how much the figures can be trusted (sample sizes, interval widths)."""
    notes = []
    for setting, rows in group_rows(summary["episodes"]).items():
        tasks = max(r["tasks"] for r in rows)
        deltas = [r["delta_pass1"] for r in rows if r["delta_pass1"]]
        text = (
            f"{setting}: {tasks} task(s); one task moves pass^1 by {100 / tasks:.1f} points; the 95% interval "
            f"of a single configuration's pass^1 is up to {100 * max(r['pass1_interval']['width'] for r in rows):.0f}"
            " points wide"
        )
        if deltas:
            widest = max(d["width"] for d in deltas)
            text += f", of a Δpass^1 vs its base up to {100 * widest:.0f} points"
        notes.append(text + ".")
        if tasks < FEW_TASKS:
            notes.append(
                f"{setting}: with fewer than {FEW_TASKS} tasks only large differences are evidence; a Δ "
                "whose interval includes 0 is not a finding either way."
            )
        rates = [r["user_in_role_rate"] for r in rows if r["user_in_role_rate"] is not None]
        if rates and min(rates) < 1:
            notes.append(
                f"{setting}: the user simulator left its role in some episodes (lowest in-role rate "
                f"{100 * min(rates):.0f}%); those outcomes say little about the agent."
            )
    for setting, rows in group_rows(summary["decisions"]).items():
        points = max(r["points"] for r in rows)
        deltas = [r["delta_exact"] for r in rows if r["delta_exact"]]
        text = f"{setting}: {points} point(s); one point = {100 / points:.1f} points of accuracy"
        if deltas:
            text += (
                f"; the 95% interval of a Δexact vs its base is up to {100 * max(d['width'] for d in deltas):.0f}"
                " points wide"
            )
        notes.append(text + ".")
        if points < RECOMMENDED_POINTS:
            notes.append(
                f"{setting}: fewer than {RECOMMENDED_POINTS} points: differences of a few points cannot be "
                "told from noise (docs/design.md §8)."
            )
    deltas = [d for r in summary["episodes"] for d in [r["delta_pass1"]] if d] + [
        d for r in summary["decisions"] for d in [r["delta_exact"]] if d
    ]
    if any(d["width"] == 0 for d in deltas):
        notes.append(
            "A zero-width interval means the two configurations had the same outcome on every shared "
            "unit; it shows agreement on these units, not certainty about others."
        )
    cached = {r["config"]: r["per_point"].get("cached_answers", 0) for r in summary["decisions"]}
    for r in summary["episodes"]:
        cached[r["config"]] = cached.get(r["config"], 0) + r["per_decision"].get("cached_decisions", 0)
    cached = {c: n for c, n in cached.items() if n}
    if cached:
        notes.append(
            "Answers served from DSPy's response cache are left out of the cost figures (they cost no "
            "tokens and almost no time): "
            + ", ".join(f"{c} {n}" for c, n in cached.items())
            + ". Their outcomes count; a configuration whose prompts equal another's is answered from "
            "the same cache entries."
        )
    temperature = summary["run"].get("temperature")
    if temperature == 0 and any(r["trials_max"] > 1 for r in [*summary["episodes"], *summary["decisions"]]):
        notes.append(
            "Trials ran at temperature 0: against a deterministic server they repeat the same answer, "
            "so pass^k for k > 1 adds no information."
        )
    if not notes:
        notes.append("No records.")
    return notes


def build_summary(
    run_dir: Path | str,
    base_map: Mapping[str, str | None] | None = None,
    failure_categories: Mapping[str, Mapping[str, int]] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """The report as plain data (what summary.json holds, figures aside)."""
    run_dir = Path(run_dir)
    episodes = load_episodes(run_dir)
    decisions = load_decision_results(run_dir)
    if not episodes and not decisions:
        raise ConfigError(f"{run_dir} holds no episode or decision records (episodes.jsonl, decisions.jsonl)")
    manifest = read_manifest(run_dir)
    bases = {**((manifest or {}).get("base_map") or {}), **(base_map or {})}
    summary: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": _run_info(run_dir, episodes, decisions, manifest),
        "versions": {"report": package_versions(), "run": (manifest or {}).get("versions")},
        "bootstrap": {"resamples": resamples, "seed": seed, "confidence": DEFAULT_CONFIDENCE},
        "base_map": bases,
        "episodes": episode_rows(episodes, bases, resamples=resamples, seed=seed),
        "decisions": decision_rows(decisions, bases, resamples=resamples, seed=seed),
        "failure_categories": {c: dict(v) for c, v in (failure_categories or {}).items()},
        "figures": [],
    }
    summary["notes"] = noise_notes(summary)
    return summary


def _figures(summary: dict[str, Any], out_dir: Path) -> list[dict[str, str]]:
    figures = []

    def add(path: Path | None, title: str) -> None:
        if path is not None:
            figures.append({"title": title, "file": path.name})

    for setting, rows in group_rows(summary["episodes"]).items():
        add(
            plot_pass_k(rows, out_dir / f"pass_k-{slug(setting)}.png", f"pass^k — {setting}"),
            f"pass^k — {setting}",
        )
        gains = [_gain_point(r, r["delta_pass1"], "tokens_per_decision") for r in rows]
        title = f"token overhead vs Δpass^1 — {setting}"
        add(plot_overhead_vs_gain(gains, out_dir / f"overhead-{slug(setting)}.png", title, "Δpass^1"), title)
    for setting, rows in group_rows(summary["decisions"]).items():
        title = f"exact pass^k — {setting}"
        add(
            plot_pass_k(
                rows,
                out_dir / f"pass_k-{slug(setting)}.png",
                title,
                field="exact_pass_hat_k",
                ylabel="exact pass^k (points right in all k trials)",
            ),
            title,
        )
        gains = [_gain_point(r, r["delta_exact"], "tokens_per_decision") for r in rows]
        title = f"token overhead vs Δexact accuracy — {setting}"
        add(
            plot_overhead_vs_gain(gains, out_dir / f"overhead-{slug(setting)}.png", title, "Δexact accuracy"),
            title,
        )
    if summary["failure_categories"]:
        title = "failure categories per configuration"
        add(
            plot_failure_categories(summary["failure_categories"], out_dir / "failure_categories.png", title),
            title,
        )
    return figures


def _gain_point(row: dict[str, Any], delta: dict | None, overhead_field: str) -> dict[str, Any]:
    return {
        "config": row["config"],
        "overhead": (row["overhead"] or {}).get(overhead_field),
        "gain": delta["estimate"] if delta else None,
        "low": delta["low"] if delta else None,
        "high": delta["high"] if delta else None,
    }


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts → one level with dotted keys (``delta_pass1.low``); lists become JSON text."""
    if isinstance(value, dict):
        flat: dict[str, Any] = {}
        for key, inner in value.items():
            flat.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(value, list):
        return {prefix: json.dumps(value, ensure_ascii=False)}
    return {prefix: value}


def write_summary_csv(summary: dict[str, Any], path: Path) -> Path:
    """One line per (section, setting, configuration); columns are the union of the rows' fields."""
    lines = [{"section": "episodes", **flatten(r)} for r in summary["episodes"]]
    lines += [{"section": "decisions", **flatten(r)} for r in summary["decisions"]]
    columns = _first_seen(key for line in lines for key in line)
    # A field that is None in one row and a dict in another (delta_pass1) keeps only its dotted columns.
    nested = {c.split(".", 1)[0] for c in columns if "." in c}
    columns = [c for c in columns if c not in nested]
    lines = [{c: line[c] for c in columns if c in line} for line in lines]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        writer.writerows(lines)
    return path


def write_report(
    run_dir: Path | str,
    out_dir: Path | str | None = None,
    *,
    base_map: Mapping[str, str | None] | None = None,
    failure_categories: Mapping[str, Mapping[str, int]] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Path:
    """Write report.md, summary.csv, summary.json and PNGs to ``out_dir`` (default ``<run_dir>/report``).

    ``base_map`` ({config: base config}) overrides the bench manifest and the name convention;
    ``failure_categories`` ({config: {category: count}}) adds the failure figure and table.
    Returns the path of report.md.
    """
    run_dir = Path(run_dir)
    out = Path(out_dir) if out_dir is not None else run_dir / REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    summary = build_summary(run_dir, base_map, failure_categories, resamples=resamples, seed=seed)
    summary["figures"] = _figures(summary, out)
    (out / SUMMARY_JSON).write_text(
        json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    write_summary_csv(summary, out / SUMMARY_CSV)
    report = out / REPORT_FILE
    report.write_text(render_markdown(summary), encoding="utf-8")
    return report

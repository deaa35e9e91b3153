"""Markdown rendering of a benchmark report from its plain-data summary (see ``writer.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fama_dspy.report.manifest import VERSIONED
from fama_dspy.report.tables import (
    decision_table_cells,
    episode_table_cells,
    fmt_rate,
    group_rows,
    score_table_cells,
)


def markdown_table(header: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(str(v).replace("|", "\\|") for v in values) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(row) for row in cells)])


def _listing(values: Sequence[Any], limit: int = 40) -> str:
    shown = ", ".join(f"`{v}`" for v in values[:limit])
    return shown + (f" … ({len(values)} in all)" if len(values) > limit else "")


def render_markdown(summary: dict[str, Any]) -> str:
    run = summary["run"]
    lines = [f"# Benchmark report — {run['run_dir']}", ""]
    lines += _run_section(run, summary["versions"])
    lines += ["## How noisy these figures are", ""]
    lines += [f"- {note}" for note in summary["notes"]] + [""]
    for setting, rows in group_rows(summary["episodes"]).items():
        header, cells = episode_table_cells(rows)
        lines += [f"## Episodes — {setting}", "", markdown_table(header, cells), ""]
        if scores := score_table_cells(rows):
            lines += [f"### Reward components — {setting}", "", markdown_table(*scores), ""]
    for setting, rows in group_rows(summary["decisions"]).items():
        header, cells = decision_table_cells(rows)
        lines += [f"## Decisions — {setting}", "", markdown_table(header, cells), ""]
    if summary.get("failure_categories"):
        lines += _failure_section(summary["failure_categories"])
    if summary["figures"]:
        lines += ["## Figures", ""]
        for figure in summary["figures"]:
            lines += [f"### {figure['title']}", "", f"![{figure['title']}]({figure['file']})", ""]
    lines += _method_section(summary["bootstrap"])
    return "\n".join(lines).rstrip() + "\n"


def _run_section(run: dict[str, Any], versions: dict[str, Any]) -> list[str]:
    lines = ["## Run", ""]
    lines.append(
        f"- model: `{run['model']}`"
        + (f", temperature {run['temperature']}" if run.get("temperature") is not None else "")
    )
    lines.append(f"- domain: {', '.join(run['domains']) or '-'}; split: {', '.join(run['splits']) or '-'}")
    if run.get("user"):
        model = f" on `{run['user_model']}`" if run.get("user_model") else ""
        lines.append(f"- user simulator (interactive episodes): {run['user']}{model}")
    if run.get("max_steps") is not None and run["settings"]:  # decision points have no steps
        lines.append(f"- max steps per episode: {run['max_steps']}")
    for setting, info in run["settings"].items():
        lines.append(
            f"- {setting}: {len(info['task_ids'])} task(s) {_listing(info['task_ids'])}; "
            f"trials per task {info['trials']}; seeds {_listing(info['seeds'])}"
        )
    for setting, info in run["decision_settings"].items():
        trials = info.get("trials", 1)
        lines.append(
            f"- {setting}: {info['points']} point(s) from {len(info['task_ids'])} task(s) "
            f"{_listing(info['task_ids'])}"
            + (
                f"; trials per point {trials}; seeds {_listing(info.get('seeds') or [])}"
                if trials > 1
                else ""
            )
        )
    if run.get("configs"):
        lines.append(
            "- configurations: "
            + "; ".join(f"`{c['name']}` ({c.get('description') or c.get('spec')})" for c in run["configs"])
        )
    now = versions["report"]
    lines.append("- versions at report time: " + ", ".join(f"{VERSIONED[d]} {now[d]}" for d in VERSIONED))
    at_run = versions.get("run")
    if at_run and at_run != now:
        lines.append(
            "- versions at run time: " + ", ".join(f"{VERSIONED[d]} {at_run.get(d, '?')}" for d in VERSIONED)
        )
    return lines + [""]


def _failure_section(categories: dict[str, dict[str, int]]) -> list[str]:
    names: list[str] = []
    for counts in categories.values():
        names.extend(n for n in counts if n not in names)
    cells = [
        [config, *(str(counts.get(n, 0)) for n in names), str(sum(counts.values()))]
        for config, counts in categories.items()
    ]
    return ["## Failure categories", "", markdown_table(["config", *names, "total"], cells), ""]


def _method_section(bootstrap: dict[str, Any]) -> list[str]:
    return [
        "## Method",
        "",
        (
            "- pass^k = mean over tasks of C(c, k) / C(n, k) (c successes in n trials); errored episodes count "
            "as failures. With k trials per decision point, exact pass^k is the same over points, and the "
            "decision Δ is the mean over points of the per-point difference in success rate."
        ),
        (
            "- Δ vs base: paired bootstrap over the units both configurations ran (tasks for episodes, decision "
            f"points for decisions), {bootstrap['resamples']:,} resamples with replacement, seed "
            f"{bootstrap['seed']}, {fmt_rate(bootstrap['confidence'], 0)} percentile interval; P(Δ≤0) is the share "
            "of resampled means at or below zero. Decision points of one task are correlated, so their intervals "
            "are somewhat optimistic."
        ),
        (
            "- Base agent: each FAMA/IRMA configuration is compared with the base mode it wraps (ReAct with "
            "ReAct, FC with FC): an explicit mapping (bench manifest or `--base`), else a `base` field in the "
            "records, else the name (`irma[fc]`, `fama[react:…]`). Overheads are agent tokens and agent seconds "
            "relative to that base on the shared units (user-simulator tokens excluded)."
        ),
        "",
    ]

"""PNG figures of a benchmark report (matplotlib's Agg canvas, no pyplot).

``Figure`` objects are drawn without pyplot, so no global backend or figure registry is touched:
safe in headless runs, in threads, and next to a notebook that uses another backend.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

DPI = 120


def slug(text: str) -> str:
    """A file-name-safe version of a label: ``mock base solo`` → ``mock-base-solo``."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "plot"


def plot_pass_k(
    rows: Sequence[dict[str, Any]], path: Path, title: str, field: str = "pass_hat_k", ylabel: str = "pass^k"
) -> Path | None:
    """pass^k against k, one line per configuration; None when no row has a pass^k value for k ≥ 2
    (a single point is not a curve)."""
    curves = [
        (r["config"], sorted((int(k), v) for k, v in (r.get(field) or {}).items()))
        for r in rows
        if r.get(field)
    ]
    if not curves or (field != "pass_hat_k" and all(len(points) < 2 for _, points in curves)):
        return None
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    for config, points in curves:
        ks, values = zip(*points)
        ax.plot(ks, values, marker="o", label=config)
    all_k = sorted({k for _, points in curves for k, _ in points})
    ax.set_xticks(all_k)
    ax.set_xlabel("k (trials that must all succeed)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return _save(fig, path)


def plot_overhead_vs_gain(
    points: Sequence[dict[str, Any]], path: Path, title: str, gain_label: str
) -> Path | None:
    """Each configuration at (token overhead per decision vs its base, gain vs its base) with the gain's
    interval as a vertical bar. ``points``: dicts with config, overhead, gain, low, high (fractions).
    None when no point has both coordinates."""
    usable = [p for p in points if p.get("overhead") is not None and p.get("gain") is not None]
    if not usable:
        return None
    fig = Figure(figsize=(6.4, 4.2))
    ax = fig.add_subplot()
    for p in usable:
        x, y = 100 * p["overhead"], 100 * p["gain"]
        below, above = y - 100 * p["low"], 100 * p["high"] - y
        ax.errorbar([x], [y], yerr=[[below], [above]], fmt="o", capsize=4)
        ax.annotate(p["config"], (x, y), textcoords="offset points", xytext=(6, 6), fontsize="small")
    ax.margins(x=0.3, y=0.15)  # room for the labels next to the points
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("tokens per decision vs base (%)")
    ax.set_ylabel(f"{gain_label} vs base (percentage points)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_failure_categories(
    categories: Mapping[str, Mapping[str, int]], path: Path, title: str
) -> Path | None:
    """Stacked bars: failed trajectories per category, one bar per configuration."""
    configs = [c for c, counts in categories.items() if any(counts.values())]
    if not configs:
        return None
    names: list[str] = []
    for config in configs:
        names.extend(n for n in categories[config] if n not in names)
    fig = Figure(figsize=(max(6.4, 1.2 * len(configs) + 2), 4.2))
    ax = fig.add_subplot()
    bottoms = [0] * len(configs)
    for name in names:
        heights = [int(categories[c].get(name, 0)) for c in configs]
        ax.bar(configs, heights, bottom=bottoms, label=name)
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    ax.set_ylabel("failed trajectories")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.tick_params(axis="x", labelrotation=20)
    return _save(fig, path)


def _save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, format="png")
    return path

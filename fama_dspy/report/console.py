"""A written report's tables on a rich console (``fama bench``, ``fama report`` and ``fama demo`` print them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def _table(title: str, header: list[str], cells: list[list[str]]) -> Table:
    table = Table(title=escape(title))
    for i, column in enumerate(header):
        # Config names hold brackets (fama[react:dce+mem]): escaped, or rich reads them as markup.
        table.add_column(
            escape(column), justify="left" if i < 2 or column == "termination" else "right", no_wrap=i == 0
        )
    for row in cells:
        table.add_row(*(escape(cell) for cell in row))
    return table


def print_summary(summary: dict[str, Any], out: Console | None = None) -> None:
    """The main tables (episodes per setting, decisions) and the noise notes."""
    from fama_dspy.report.tables import (
        decision_table_cells,
        episode_table_cells,
        group_rows,
        score_table_cells,
    )

    out = out or Console()
    for setting, rows in group_rows(summary["episodes"]).items():
        out.print(_table(f"Episodes · {setting}", *episode_table_cells(rows, compact=True)))
        if scores := score_table_cells(rows):
            out.print(_table(f"Reward components · {setting}", *scores))
    for setting, rows in group_rows(summary["decisions"]).items():
        out.print(_table(f"Decisions · {setting}", *decision_table_cells(rows, compact=True)))
    for note in summary["notes"]:
        out.print(f"[dim]• {escape(note)}[/dim]")  # notes name configurations: brackets are not markup


def print_report(report: Path, out: Console | None = None) -> None:
    """Print the tables of a written report (from its summary.json) and where the report is."""
    from fama_dspy.report.writer import SUMMARY_JSON

    out = out or Console()
    print_summary(json.loads((report.parent / SUMMARY_JSON).read_text(encoding="utf-8")), out)
    out.print(f"report: {report}")

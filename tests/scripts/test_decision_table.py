"""``scripts/decision_table.py``: pooling per-domain programs into one row, won/lost counts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from report.synthetic import decision, write_jsonl

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "decision_table.py"


@pytest.fixture(scope="module")
def table():
    spec = importlib.util.spec_from_file_location("decision_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pool_renames_members_and_refuses_double_answers(table):
    records = [
        decision("react", "airline/1/0", True, False),
        decision("fama-compiled[air]", "airline/1/0", True, True),
        decision("fama-compiled[ret]", "retail/2/0", True, True),
    ]
    pooled = table.pooled(records, ["compiled=fama-compiled[air]|fama-compiled[ret]"])
    assert [r["config"] for r in pooled] == ["react", "compiled", "compiled"]
    assert records[1]["config"] == "fama-compiled[air]"  # the input is not modified
    clash = [*records, decision("fama-compiled[ret]", "airline/1/0", True, True)]
    with pytest.raises(SystemExit, match="both answered airline/1/0"):
        table.pooled(clash, ["compiled=fama-compiled[air]|fama-compiled[ret]"])
    with pytest.raises(SystemExit, match="LABEL=CONFIG"):
        table.pooled(records, ["no-label"])


def test_pooled_row_counts_points_won_and_lost(table, tmp_path, monkeypatch, capsys):
    # airline: compiled wins p0, loses p1; retail: compiled wins p2. Pooled: 3 points, won 2, lost 1.
    write_jsonl(
        tmp_path / "airline" / "decisions.jsonl",
        [
            decision("react", "airline/0/0", True, False),
            decision("react", "airline/1/0", True, True),
            decision("fama-compiled[air]", "airline/0/0", True, True),
            decision("fama-compiled[air]", "airline/1/0", True, False),
        ],
    )
    write_jsonl(
        tmp_path / "retail" / "decisions.jsonl",
        [
            decision("react", "retail/2/0", False, False),
            decision("fama-compiled[ret]", "retail/2/0", True, True),
        ],
    )
    argv = [
        str(SCRIPT),
        str(tmp_path / "airline"),
        str(tmp_path / "retail"),
        "--base",
        "react",
        "--pool",
        "fama[mem] compiled=fama-compiled[air]|fama-compiled[ret]",
        "--configs",
        "react,fama[mem] compiled",
    ]
    monkeypatch.setattr(sys, "argv", argv)
    table.main()
    out = capsys.readouterr().out
    assert "3 decision points answered by every configuration" in out
    compiled = next(line for line in out.splitlines() if "compiled" in line and "│" in line)
    cells = [c.strip() for c in compiled.split("│")[1:-1]]
    assert cells[0] == "fama[mem] compiled" and cells[1] == "3/3" and cells[2] == "2/3"
    assert cells[5] == "2 · 1"


def test_configurations_without_a_common_point_get_a_clear_error(table, tmp_path, monkeypatch):
    write_jsonl(
        tmp_path / "run" / "decisions.jsonl",
        [
            decision("react", "airline/0/0", True, False),
            decision("fama-compiled[ret]", "retail/2/0", True, True),
        ],
    )
    argv = [str(SCRIPT), str(tmp_path / "run"), "--base", "react"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(
        SystemExit, match=r"no decision point was answered by every configuration \(react 1, "
    ):
        table.main()


def test_costs_are_over_served_answers_and_cached_ones_are_counted(table, tmp_path, monkeypatch, capsys):
    # "replayed" was answered entirely from the response cache: its costs are unknown, not zero.
    cached = [{**decision("replayed", f"airline/{i}/0", True, False), "cache_hits": 1} for i in range(2)]
    served = [
        decision("react", "airline/0/0", True, False, prompt_tokens=300, completion_tokens=20),
        {**decision("react", "airline/1/0", True, False), "cache_hits": 1},
    ]
    write_jsonl(tmp_path / "run" / "decisions.jsonl", [*served, *cached])
    argv = [str(SCRIPT), str(tmp_path / "run"), "--base", "react", "--configs", "react,replayed"]
    monkeypatch.setattr(sys, "argv", argv)
    table.main()
    rows = {
        cells[0]: cells
        for line in capsys.readouterr().out.splitlines()
        if "│" in line
        for cells in [[c.strip() for c in line.split("│")[1:-1]]]
    }
    assert rows["react"][11:15] == ["320", "20", "1.0", "1"]
    assert rows["replayed"][11:15] == ["—", "—", "—", "2"]

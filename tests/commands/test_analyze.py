"""`fama analyze RUN_DIR`: the report on the terminal and the profile file, with a scripted judge."""

from __future__ import annotations

import argparse
import io
import json
import os

import pytest
from analysis.judge_lm import judge_lm
from benchmarks.tau2.test_analyze import CM_SCRIPT, make_run
from rich.console import Console

from fama_dspy.analysis.profile import FailureProfile
from fama_dspy.commands import analyze
from fama_dspy.errors import ConfigError


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fama")
    analyze.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["analyze", *argv])


@pytest.fixture
def screen(monkeypatch):
    buffer = io.StringIO()
    monkeypatch.setattr(analyze, "console", Console(file=buffer, width=200))
    return buffer


@pytest.fixture
def judge(monkeypatch):
    """The judge LM every make_lm call returns; the specs asked for are recorded."""
    lm, engine = judge_lm(CM_SCRIPT)
    asked = []

    def make_lm(spec, *args, **kwargs):
        asked.append(spec)
        return lm

    monkeypatch.setattr("fama_dspy.lm.make_lm", make_lm)
    return engine, asked


def test_report_and_default_profile_path(tmp_path, monkeypatch, screen, judge):
    engine, asked = judge
    make_run(tmp_path / "run", trials=2)
    monkeypatch.chdir(tmp_path)
    args = _args(
        str(tmp_path / "run"),
        "--model",
        "openai/Qwen-Test:1.5B",
        "--api-base",
        "http://127.0.0.1:9/v1",
        "--judge-model",
        "openai/judge-model",
        "--budget",
        "1",
    )
    assert args.handler(args) == 0
    assert asked == ["openai/judge-model"]  # no agent model without a learning step
    assert 'title expected "Important Meeting", got "Wrong"' in engine.prompt_of("CM")
    path = tmp_path / "data" / "profiles" / "Qwen-Test-1.5B__mock.json"
    profile = FailureProfile.load(path)
    assert (profile.model, profile.judge_model, profile.budget) == (
        "openai/Qwen-Test:1.5B",
        "openai/judge-model",
        1,
    )
    text = screen.getvalue()
    assert "6 episode(s), 2 failed and diagnosed, 0 excluded" in text
    assert "Recommended specialists: MEM (coverage 100%" in text
    assert "Smallest set reaching 80% coverage: mem" in text
    assert "CM examples" in text and "DPV examples" not in text
    assert "task create_task_1 (trial 0), turns 2: The agent invented the task title." in text
    assert '[2] assistant called create_task({"user_id": "user_1", "title": "Wrong"})' in text
    assert "harness error" in text and f"profile: {path.relative_to(tmp_path)}" in text


def test_excluded_failures_are_listed(tmp_path, screen, monkeypatch):
    script = {
        **CM_SCRIPT,
        "non_agent": json.dumps({"rationale": "The user [simulator] left its goal.", "kind": "user_drift"}),
    }
    lm, _ = judge_lm(script)
    monkeypatch.setattr("fama_dspy.lm.make_lm", lambda spec, *a, **k: lm)
    make_run(tmp_path / "run")
    out = tmp_path / "profile.json"
    args = _args(str(tmp_path / "run"), "--model", "openai/m", "--out", str(out))
    assert args.handler(args) == 0
    text = screen.getvalue()
    assert "1 excluded as not agent-caused" in text
    assert "task create_task_1 (trial 0) user_drift: The user [simulator] left its goal." in text
    assert "Recommended specialists: none" in text and FailureProfile.load(out).n_excluded_non_agent == 1


def test_learning_step_uses_the_agent_model(tmp_path, screen, judge):
    _, asked = judge
    make_run(tmp_path / "run")
    args = _args(
        str(tmp_path / "run"),
        "--model",
        "openai/agent",
        "--judge-model",
        "openai/judge",
        "--rerun-budget",
        "1",
        "--out",
        str(tmp_path / "p.json"),
    )
    # The scripted judge cannot act as the agent: the re-run episode fails, and is still credited.
    assert args.handler(args) == 0
    assert asked == ["openai/judge", "openai/agent"]
    assert FailureProfile.load(tmp_path / "p.json").evidence["tsa"]["tried"] == 1
    assert "Re-run evidence" in screen.getvalue()


def test_refuses_a_run_without_episodes_before_starting_any_model(tmp_path, judge):
    _, asked = judge
    (tmp_path / "empty").mkdir()
    args = _args(str(tmp_path / "empty"), "--model", "openai/m")
    with pytest.raises(ConfigError, match="No episodes"):
        args.handler(args)
    assert asked == []


def test_the_agent_model_defaults_to_the_one_the_run_logged(tmp_path, screen, judge):
    _, asked = judge
    make_run(tmp_path / "run")
    log = {"model": "openai/logged-model", "api_base": "http://127.0.0.1:9/v1", "domain": "mock"}
    (tmp_path / "run" / analyze.RUN_LOG).write_text(json.dumps(log) + "\n")
    args = _args(str(tmp_path / "run"), "--out", str(tmp_path / "a.json"))
    assert args.handler(args) == 0
    assert asked == ["openai/logged-model"]
    assert FailureProfile.load(tmp_path / "a.json").model == "openai/logged-model"
    args = _args(str(tmp_path / "run"), "--model", "openai/other", "--out", str(tmp_path / "b.json"))
    assert args.handler(args) == 0
    assert FailureProfile.load(tmp_path / "b.json").model == "openai/other"
    assert "The run was made with model openai/logged-model" in screen.getvalue()


def test_counterfactual_candidates_every_linked_or_listed():
    from conftest import cancel_point

    point = cancel_point(1)
    talked = {"point_id": point.id, "exact_ok": False, "action": {"kind": "message", "message": "Sorry."}}
    points = {point.id: point}
    assert analyze._counterfactual_candidates(None, [talked], points, "mock") == [
        "dce",
        "tsa",
        "tor",
        "pln",
        "ver",
        "mem",
    ]
    # talking where a call was due is IFU, which the prior links to PLN, VER and MEM
    assert analyze._counterfactual_candidates("linked", [talked], points, "mock") == ["pln", "ver", "mem"]
    assert analyze._counterfactual_candidates("MEM, tsa", [talked], points, "mock") == ["tsa", "mem"]
    with pytest.raises(ConfigError):
        analyze._counterfactual_candidates("mem,xyz", [talked], points, "mock")


def test_data_dir_names_the_checkout_of_a_benchmark_read_from_one(tmp_path, monkeypatch, judge):
    _, asked = judge
    monkeypatch.setenv("FAMA_ACEBENCH_DIR", str(tmp_path / "elsewhere"))  # restored after the test
    (tmp_path / "empty").mkdir()
    checkout = tmp_path / "ACEBench"
    args = _args(str(tmp_path / "empty"), "--benchmark", "acebench", "--data-dir", str(checkout))
    with pytest.raises(ConfigError, match="No episodes"):
        args.handler(args)
    assert os.environ["FAMA_ACEBENCH_DIR"] == str(checkout.resolve())
    # τ² is an installed package: naming a checkout for it is a mistake, said before any model starts.
    make_run(tmp_path / "run")
    args = _args(str(tmp_path / "run"), "--data-dir", str(checkout))
    with pytest.raises(ConfigError, match="installed as a package"):
        args.handler(args)
    assert asked == []

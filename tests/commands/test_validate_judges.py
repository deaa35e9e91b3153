"""`fama validate-judges`: its two actions parse their flags and call the judge validation library."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from analysis.judge_lm import judge_lm, verdict

from fama_dspy.benchmarks.tau2 import judge_validation
from fama_dspy.commands import validate_judges

DATA = Path(__file__).resolve().parents[2] / "data" / "judge_validation"


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fama")
    validate_judges.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["validate-judges", *argv])


def test_build_passes_its_flags_to_the_set_builder(monkeypatch, tmp_path):
    with pytest.raises(SystemExit):
        _args()  # an action is required
    calls = []

    def build(out, **options):
        calls.append((out, options))
        return {"examples": 0}

    monkeypatch.setattr(judge_validation, "build_validation_set", build)
    assert validate_judges.run(_args("build", "--out", str(tmp_path))) == 0
    assert validate_judges.run(_args("build", "--domains", " retail, ", "--per-category", "2")) == 0
    assert calls[0][0] == tmp_path and "domains" not in calls[0][1] and "per_category" not in calls[0][1]
    out, options = calls[1]
    assert out == Path("data/judge_validation")
    assert (options["domains"], options["split"], options["per_category"]) == (("retail",), "train", 2)


def test_score_judges_the_shipped_set_with_a_scripted_judge(monkeypatch, capsys):
    lm, engine = judge_lm(
        {
            "DPV": verdict(True, [2]),
            "WRCO": verdict(False),
            "CM": verdict(False),
            "IFU": verdict(False),
            "non_agent": json.dumps({"rationale": "the agent", "kind": "none"}),
        }
    )
    specs = []
    monkeypatch.setattr("fama_dspy.lm.make_lm", lambda spec, **kw: specs.append(spec) or lm)
    args = _args("score", "--judge-model", "openai/scripted-judge", "--path", str(DATA), "--limit", "4")
    assert args.handler is validate_judges.run
    assert validate_judges.run(args) == 0
    assert specs == ["openai/scripted-judge"]
    printed = capsys.readouterr().out
    # One example per category; the judge finds DPV in all four.
    assert "4 perturbed failures · judge openai/scripted-judge" in printed
    dpv = next(line for line in printed.splitlines() if line.strip("│ ").startswith("DPV"))
    assert "25% (1/4)" in dpv and "100% (1/1)" in dpv
    assert {role for role, _, _ in engine.calls} == {"DPV", "WRCO", "CM", "IFU", "non_agent"}

"""The demo pipeline end to end on the scripted LM: baseline → rule diagnosis → profile → bench → report."""

from __future__ import annotations

import io
import json

from fama_dspy.optimizers.program import load_program
from fama_dspy.signatures.action import AgentAction
from rich.console import Console
from scripted_lm import action_reply, json_reply, scripted_lm

from fama_dspy.analysis.profile import FailureProfile
from fama_dspy.benchmarks.tau2.decision_points import iter_decision_points
from fama_dspy.demo import DemoPlan, _print_levers, diagnose_decision_failures, run_demo

# The scripted agent always searches the same made-up route: wrong on every airline point. (A
# made-up *id* would be refused before it counts: the default id policy admits only seen ids.)
LOOKUP = action_reply(
    kind="tool_call",
    tool_name="search_direct_flight",
    arguments={"origin": "AAA", "destination": "BBB", "date": "2024-01-01"},
)
SCRIPT = {
    "agent": [LOOKUP],
    "dce": [json_reply(rules=["Authenticate the user first"])],
    "tsa": [json_reply(tools=["get_user_details"], why="look the user up")],
    "tor": [json_reply(facts=["nothing"])],
    "pln": [json_reply(steps=["look up the user"])],
    "ver": [json_reply(verdict="PASS", reason="ok")],
}


def test_wrong_decisions_are_diagnosed_by_rules():
    points = iter_decision_points("airline", "train", num_tasks=2)
    records = [{"point_id": p.id, "exact_ok": False, "action": json.loads(LOOKUP)["action"]} for p in points]
    records.append({"point_id": points[0].id, "exact_ok": True, "action": points[0].gold.model_dump()})
    diagnoses = diagnose_decision_failures(records, {p.id: p for p in points}, "airline")
    assert len(diagnoses) == len(points)  # correct decisions are not failures
    assert all(d.primary and d.primary[0] in {"DPV", "WRCO", "CM", "IFU"} for d in diagnoses)
    assert all(d.verdicts[d.primary[0]].source == "rule" for d in diagnoses)


def test_demo_pipeline_end_to_end(tmp_path, capsys):
    lm, engine = scripted_lm(SCRIPT)
    plan = DemoPlan(
        train_tasks=4,
        test_tasks=1,
        counterfactual_points=1,
        solo_domain="mock",
        solo_tasks=1,
        solo_max_steps=4,
        concurrency=1,
    )
    result = run_demo(plan, lm, tmp_path / "demo", model="scripted")
    profile = FailureProfile.load(result.profile_path)
    assert profile.n_failed > 0 and profile.recommended  # every train decision was wrong
    assert result.train_accuracy == 0.0
    assert any("counterfactual re-runs" in note for note in profile.notes)
    assert set(result.reports) == {"decisions", "solo"}
    fama = f"fama[react:{'+'.join(profile.recommended)}]"
    configs = {"react", "fama-compiled[react-demos]", fama, "fama-compiled[fama-demos]"}
    decisions = [
        json.loads(line) for line in (tmp_path / "demo" / "test-decisions" / "decisions.jsonl").open()
    ]
    assert {d["config"] for d in decisions} == configs
    for path in result.reports.values():
        assert all(c in path.read_text() for c in configs)
    # The compiled programs carry three gold demonstrations from train tasks, none from test.
    program = load_program(result.programs["react-demos"])
    demos = program.agent.decide.demos
    assert len(demos) == 3 and all(
        AgentAction.model_validate(dict(d)["action"]).kind == "tool_call" for d in demos
    )
    assert {lever["lever"] for lever in result.levers} == {
        "compilation (demos)",
        "meta layer (FAMA)",
        "meta layer on the compiled agent",
        "both",
    }
    assert all(lever["points"] == len({d["point_id"] for d in decisions}) for lever in result.levers)
    screen = Console(file=io.StringIO(), width=200)
    _print_levers(screen, result.levers)  # bracketed names are shown, not eaten as markup
    assert "fama-compiled[react-demos]" in screen.file.getvalue()
    # Resume: a second run makes no new LM calls.
    calls = len(engine.calls)
    run_demo(plan, lm, tmp_path / "demo", model="scripted")
    assert len(engine.calls) == calls

"""analyze_run end to end on scripted runs and a scripted judge: diagnoses, resume, learning step, profile."""

from __future__ import annotations

import json

import pytest
from analysis.judge_lm import judge_lm, verdict
from scripted_lm import action_reply, json_reply, scripted_lm

from benchmarks.tau2.harness_helpers import ScriptedAgent, call, say
from benchmarks.tau2.test_runner import RaisingTau2Agent
from fama_dspy.analysis.diagnosis import FailureDiagnosis
from fama_dspy.analysis.runs import (
    DIAGNOSES_FILE,
    RERUNS_DIR,
    base_of_config,
    default_profile_path,
    load_diagnosis_rows,
    plan_reruns,
    select_run,
)
from fama_dspy.benchmarks.tau2.analyze import analyze_run
from fama_dspy.benchmarks.tau2.builders import agent_tools
from fama_dspy.benchmarks.tau2.runner import run_episodes
from fama_dspy.errors import ConfigError
from fama_dspy.results.records import load_episodes

CM_SCRIPT = {
    "DPV": verdict(False),
    "WRCO": verdict(False),
    "IFU": verdict(False),
    "CM": verdict(True, [2], rationale="The agent invented the task title."),
    "non_agent": json.dumps({"rationale": "the agent's doing", "kind": "none"}),
}
CREATE = call("create_task", user_id="user_1", title="Important Meeting")


def make_run(out, trials: int = 1) -> None:
    """Config ``react`` on mock: create_task_1 fails (wrong title), update_task_1 succeeds,
    impossible_task_1 ends in a harness error."""
    kw = {
        "domain": "mock",
        "user": "scripted",
        "out": out,
        "config_name": "react",
        "progress": False,
        "trials": trials,
    }
    run_episodes(
        lambda: ScriptedAgent([call("create_task", user_id="user_1", title="Wrong"), say("Created.")]),
        task_ids=["create_task_1"],
        **kw,
    )
    run_episodes(
        lambda: ScriptedAgent(
            [call("update_task_status", task_id="task_1", status="completed"), say("Done.")]
        ),
        task_ids=["update_task_1"],
        **kw,
    )
    raising = lambda task, env, solo: RaisingTau2Agent(
        agent_tools(env, solo), env.get_policy(), ValueError("empty")
    )
    run_episodes(agent_builder=raising, task_ids=["impossible_task_1"], **kw)


@pytest.fixture
def run_dir(tmp_path):
    make_run(tmp_path / "run", trials=2)
    return tmp_path / "run"


def test_diagnoses_failures_writes_them_and_builds_the_profile(run_dir):
    lm, engine = judge_lm(CM_SCRIPT)
    diagnoses, profile = analyze_run(run_dir, lm, "judge-x", model="openai/qwen-test")
    assert [(d.task_id, d.trial) for d in diagnoses] == [("create_task_1", 0), ("create_task_1", 1)]
    assert all(d.primary == ["CM"] and d.judge_model == "judge-x" for d in diagnoses)
    assert (profile.model, profile.domain, profile.split, profile.trials) == (
        "openai/qwen-test",
        "mock",
        "base",
        2,
    )
    assert profile.task_ids == ["create_task_1", "update_task_1", "impossible_task_1"]
    assert profile.judge_model == "judge-x" and profile.n_failed == 2
    assert profile.category_counts["CM"] == 2 and profile.recommended == ["mem"]
    assert any("harness error" in n and "ValueError" in n for n in profile.notes)
    # The evidence the judges saw is stored next to each diagnosis.
    rows = load_diagnosis_rows(run_dir, "judge-x")
    assert len(rows) == 2
    assert rows[0]["evidence"].wrong_argument_actions == [
        'create_task: title expected "Important Meeting", got "Wrong"'
    ]
    assert "Important Meeting" in engine.prompt_of("CM")
    # Resumed: nothing is judged twice.
    calls = len(engine.calls)
    again, _ = analyze_run(run_dir, lm, "judge-x", model="openai/qwen-test")
    assert len(engine.calls) == calls and again == diagnoses
    # Another judge model diagnoses anew, next to the first one's rows.
    other, _ = judge_lm(CM_SCRIPT)
    analyze_run(run_dir, other, "judge-y", model="openai/qwen-test")
    assert len(load_diagnosis_rows(run_dir)) == 4


def test_an_interrupted_diagnosis_resumes_where_it_stopped(run_dir):
    lm, _ = judge_lm(CM_SCRIPT)
    analyze_run(run_dir, lm, "judge-x", model="m")
    lines = (run_dir / DIAGNOSES_FILE).read_text().splitlines()
    (run_dir / DIAGNOSES_FILE).write_text(lines[0] + "\n")  # as if stopped after one episode
    lm2, engine2 = judge_lm(CM_SCRIPT)
    diagnoses, _ = analyze_run(run_dir, lm2, "judge-x", model="m")
    assert len(diagnoses) == 2 and engine2.roles() == ["CM", "DPV", "IFU", "WRCO", "non_agent"]


@pytest.mark.parametrize("fixes, relation", [(True, 1.0), (False, 0.666667)])
def test_learning_step_reruns_with_a_specialist_and_credits_the_fix(tmp_path, fixes, relation):
    make_run(tmp_path / "run")
    judge, _ = judge_lm(CM_SCRIPT)
    answers = (
        [action_reply(kind="tool_call", tool_name="create_task", arguments=CREATE.arguments)] if fixes else []
    )
    agent_lm, agent_engine = scripted_lm(
        {
            "agent": answers + [action_reply(kind="message", message="Done.")],
            "tsa": [json_reply(tools=["create_task"], why="the user asked for a task")],
        }
    )
    _, profile = analyze_run(tmp_path / "run", judge, "judge-x", model="m", rerun_budget=1, agent_lm=agent_lm)
    # Budget 1: CM links tsa, pln and mem; the round robin tries tsa first.
    assert profile.evidence["tsa"] == {"tried": 1, "fixed": int(fixes)}
    assert profile.relation["CM"]["tsa"] == relation and profile.relation["CM"]["pln"] == 1.0
    assert any(n.startswith("Learning step: 1 re-run") for n in profile.notes)
    [rerun] = load_episodes(tmp_path / "run" / RERUNS_DIR)
    [original] = [r for r in load_episodes(tmp_path / "run") if r["task_id"] == "create_task_1"]
    assert rerun["config"] == "rerun[react+tsa]#0" and rerun["task_id"] == "create_task_1"
    assert (rerun["seed"], rerun["solo"], rerun["user"], rerun["max_steps"]) == (
        original["seed"],
        original["solo"],
        original["user"],
        original["max_steps"],
    )
    assert rerun["totals"]["specialists"] and "tsa" in agent_engine.roles()


def test_learning_step_refuses_test_split_runs_and_needs_the_agent_model(tmp_path):
    out = tmp_path / "run"
    run_episodes(
        lambda: ScriptedAgent([say("Bye.")]),
        domain="airline",
        split="test",
        task_ids=["2"],
        user="scripted",
        out=out,
        config_name="react",
        progress=False,
    )
    lm, _ = judge_lm(CM_SCRIPT)
    with pytest.raises(ConfigError, match="test split"):
        analyze_run(out, lm, "j", model="m", rerun_budget=2, agent_lm=lm)
    make_run(tmp_path / "mock")
    with pytest.raises(ConfigError, match="agent_lm"):
        analyze_run(tmp_path / "mock", lm, "j", model="m", rerun_budget=2)


def test_select_run_refuses_empty_and_ambiguous_runs(tmp_path):
    with pytest.raises(ConfigError, match="No episodes"):
        select_run(tmp_path)
    make_run(tmp_path / "run")
    run_episodes(
        lambda: ScriptedAgent([say("Bye.")]),
        domain="mock",
        task_ids=["create_task_1"],
        user="scripted",
        out=tmp_path / "run",
        config_name="fc",
        progress=False,
    )
    with pytest.raises(ConfigError, match="several configurations"):
        select_run(tmp_path / "run")
    records, config, domain = select_run(tmp_path / "run", "fc")
    assert (len(records), config, domain) == (1, "fc", "mock")
    with pytest.raises(ConfigError, match="holds fc, react"):
        select_run(tmp_path / "run", "irma[react]")


def test_plan_reruns_spreads_the_budget_over_specialists():
    diagnoses = [FailureDiagnosis(task_id=str(i), primary=["CM"]) for i in range(4)]
    diagnoses.append(FailureDiagnosis(task_id="x", primary=["DPV"], non_agent="user_drift"))
    plan = plan_reruns(diagnoses, budget=4)
    assert [r["specialist"] for r in plan] == ["tsa", "pln", "mem", "tsa"]
    assert plan == plan_reruns(diagnoses, budget=4) and plan_reruns(diagnoses, budget=0) == []
    assert all(r["task_id"] != "x" for r in plan_reruns(diagnoses, budget=20))


def test_names_and_paths():
    assert base_of_config("fc") == "fc" and base_of_config("fama[fc:dce+mem]") == "fc"
    assert base_of_config("irma[react]") == "react" and base_of_config("fama-compiled[x]") == "react"
    assert (
        str(default_profile_path("openai/Qwen2.5:7B-Instruct", "retail"))
        == "data/profiles/Qwen2.5-7B-Instruct__retail.json"
    )

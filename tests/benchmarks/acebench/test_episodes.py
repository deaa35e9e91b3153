"""Episode records: fields, resumption, errors, and a fama-dspy agent end to end on a scripted LM."""

from __future__ import annotations

import dspy
import pytest
from scripted_lm import action_reply, json_reply, scripted_lm

from benchmarks.acebench.helpers import ScriptAgent, run
from fama_dspy.benchmarks import EpisodeRequest, get_benchmark
from fama_dspy.benchmarks.acebench import customers
from fama_dspy.benchmarks.acebench.data import find_task
from fama_dspy.benchmarks.acebench.gold import gold_plan
from fama_dspy.configs import build_agent
from fama_dspy.errors import ConfigError
from fama_dspy.results.records import EPISODES_FILE, read_jsonl

pytestmark = pytest.mark.usefixtures("acebench_root")

RECORD_FIELDS = {
    "version",
    "benchmark",
    "config",
    "agent",
    "domain",
    "split",
    "task_id",
    "trial",
    "seed",
    "solo",
    "user",
    "max_steps",
    "started_at",
    "reward",
    "success",
    "reward_breakdown",
    "reward_details",
    "termination",
    "steps",
    "num_messages",
    "duration_s",
    "decisions",
    "totals",
    "user_in_role",
    "user_role_issues",
    "user_stats",
    "error",
    "error_stage",
    "error_traceback",
    "messages",
}
TASKS = ["agent_multi_step_2", "agent_multi_step_3"]


def test_records_hold_the_report_fields_and_runs_resume(tmp_path):
    first = run(tmp_path, "multi-step", TASKS, trials=2, config="gold")
    assert len(first) == 4 and all(RECORD_FIELDS <= set(r) for r in first)
    r = first[0]
    assert (r["benchmark"], r["domain"], r["split"], r["solo"], r["user"]) == (
        "acebench",
        "multi-step",
        "base",
        True,
        "none",
    )
    assert [(x["task_id"], x["trial"], x["seed"]) for x in first] == [
        ("agent_multi_step_2", 0, 0),
        ("agent_multi_step_3", 0, 0),
        ("agent_multi_step_2", 1, 1),
        ("agent_multi_step_3", 1, 1),
    ]
    assert set(r["reward_breakdown"]) == {"end_to_end", "process"} and r["success"]
    again = run(tmp_path, "multi-step", TASKS, trials=2, config="gold")
    assert len(read_jsonl(tmp_path / EPISODES_FILE)) == 4  # nothing re-run
    assert [x["started_at"] for x in again] == [x["started_at"] for x in first]


def test_an_episode_error_is_recorded_and_retried(tmp_path, monkeypatch):
    def broken(self, transcript):
        raise RuntimeError("user side broke")

    monkeypatch.setattr(customers.ScriptedCustomer, "reply", broken)
    (failed,) = run(tmp_path, "multi-turn", ["agent_multi_turn_0"], config="gold")
    assert failed["termination"] == "error" and failed["reward"] == 0.0 and not failed["success"]
    assert "user side broke" in failed["error"]
    monkeypatch.undo()
    (kept,) = run(tmp_path, "multi-turn", ["agent_multi_turn_0"], config="gold")
    assert kept["error"]  # resumed: the errored record stays
    (retried,) = run(tmp_path, "multi-turn", ["agent_multi_turn_0"], config="gold", retry_errors=True)
    assert retried["error"] is None and retried["reward"] == 1.0


def test_modes_and_agents_are_checked(tmp_path):
    bench = get_benchmark("acebench")
    with pytest.raises(ConfigError, match="no solo mode"):
        bench.run_episodes(
            EpisodeRequest(domain="multi-turn", out=tmp_path, solo=True, extra={"agent": "gold"})
        )
    with pytest.raises(ConfigError, match="exactly one"):
        bench.run_episodes(EpisodeRequest(domain="multi-step", out=tmp_path, config_name="x"))
    with pytest.raises(ConfigError, match="config_name is required"):
        bench.run_episodes(EpisodeRequest(domain="multi-step", out=tmp_path), lambda: None)
    with pytest.raises(ConfigError, match="needs a model"):
        bench.run_episodes(
            EpisodeRequest(domain="multi-turn", out=tmp_path, user="fama", extra={"agent": "gold"})
        )


def test_an_invalid_call_is_rejected_before_the_sandbox_and_the_agent_is_asked_again(tmp_path):
    task = find_task("multi-step", "agent_multi_step_3")
    plan = gold_plan(task)
    bad = plan[0].model_copy(update={"arguments": {**plan[0].arguments, "unexpected": 1, "username": 7}})
    (record,) = run(tmp_path, "multi-step", [task.id], builder=lambda t: ScriptAgent([bad, *plan]))
    assert record["totals"]["invalid_actions"] == 1 and record["reward"] == 1.0
    assert "rejected" in record["decisions"][0] and record["decisions"][0]["validation_errors"]


def test_a_fama_react_agent_runs_a_multi_step_episode_on_a_scripted_lm(tmp_path):
    task = find_task("multi-step", "agent_multi_step_5")
    answers = [
        action_reply(kind="tool_call", tool_name=a.tool_name, arguments=a.arguments) for a in gold_plan(task)
    ]
    lm, engine = scripted_lm({"agent": answers, "unknown": [json_reply()]})
    with dspy.context(lm=lm):
        (record,) = get_benchmark("acebench").run_episodes(
            EpisodeRequest(
                domain="multi-step",
                task_ids=[task.id],
                config_name="react",
                solo=True,
                out=tmp_path,
                progress=False,
            ),
            lambda: build_agent("react"),
        )
    assert record["error"] is None and record["termination"] == "agent_stop"
    assert record["reward"] == 1.0 and record["reward_breakdown"]["process"] == 1.0
    assert record["agent"] == "fama" and record["totals"]["decisions"] == len(answers)
    assert record["totals"]["lm_calls"] == len(engine.of("agent")) == len(answers)
    # The agent saw ACEBench's results as tool outputs, and the policy and ticket of the task.
    prompt = engine.of("agent")[-1].prompt
    assert "I am Eve" in prompt and "Message ID 4 has been successfully deleted" in prompt


def test_each_trial_tells_the_agent_its_seed_so_it_samples_anew(tmp_path):
    seeded = []

    class SeedTaking(ScriptAgent):
        def set_seed(self, seed):
            seeded.append(seed)

    def builder(task):
        return SeedTaking(gold_plan(task))

    records = run(tmp_path, "multi-step", TASKS[:1], builder, trials=2, seeds=[7, 8])
    assert sorted(seeded) == [7, 8] and [r["seed"] for r in records] == [7, 8]

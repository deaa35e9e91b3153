"""`fama bench`: the --configs language, a whole bench on the scripted LM, resume after a kill."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from scripted_lm import action_reply, json_reply, scripted_lm

from fama_dspy.adapters import prompt_layout
from fama_dspy.bench import BenchPlan, ConfigSpec, parse_config_spec, parse_configs, parse_modes, run_bench
from fama_dspy.bench.agents import resolve_agent
from fama_dspy.bench.configs import config_base
from fama_dspy.bench.trials import TrialRollouts
from fama_dspy.commands import bench
from fama_dspy.configs import build_agent
from fama_dspy.episodes.seeding import rollout_id
from fama_dspy.errors import ConfigError
from fama_dspy.results.records import episode_key, read_jsonl

CREATE = action_reply(
    kind="tool_call", tool_name="create_task", arguments={"user_id": "user_1", "title": "Important Meeting"}
)
DONE = action_reply(kind="tool_call", tool_name="done", arguments={})
SCRIPT = {
    "agent": [CREATE, DONE] * 100,  # every solo episode: create, then done
    "dce": [json_reply(rules=["Create tasks only for existing users"])],
    "tsa": [json_reply(tools=["create_task"], why="the ticket asks for a new task")],
}
TASKS = "create_task_1,update_task_1"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("react", "react"),
        ("fc", "fc"),
        ("irma", "irma[react]"),
        ("irma:fc", "irma[fc]"),
        ("fama:dce+mem", "fama[react:dce+mem]"),
        ("fama:fc:mem+dce", "fama[fc:dce+mem]"),
        ("tau2-llm-agent", "tau2-llm-agent"),
    ],
)
def test_config_language_names_match_fama_run(text, name):
    assert resolve_agent(parse_config_spec(text).agent_spec(), "local", domain="mock").name == name


@pytest.mark.parametrize(
    "text",
    ["react:x", "irma:foo", "fama", "fama:fc:", "bogus", "fama-compiled:", "compiled:", "fama-profile:"],
)
def test_bad_config_items_are_refused(text):
    with pytest.raises(ConfigError):
        parse_config_spec(text)


def test_profile_and_compiled_items(tmp_path):
    assert parse_config_spec("fama-profile:fc:data/p.json") == ConfigSpec(
        spec="fama-profile:fc:data/p.json", agent="fama", base="fc", profile="data/p.json"
    )
    assert parse_config_spec("fama-profile:p.json").base is None
    program = tmp_path / "tuned.json"
    build_agent("fama", base="fc", specialists=["dce"]).save(str(program))
    spec = parse_config_spec(f"fama-compiled:{program}")
    assert spec.agent == "fama-compiled" and spec.program == str(program)
    assert config_base(spec) == "fc"  # read from the saved program, not the name
    plain = parse_config_spec(f"compiled:{program}")  # the same program under the neutral name
    assert (plain.agent, plain.program, config_base(plain)) == ("fama-compiled", str(program), "fc")
    assert config_base(parse_config_spec("fama:fc:dce")) == "fc"
    assert config_base(parse_config_spec("irma")) == "react"
    assert config_base(parse_config_spec("react")) is None


def test_modes_are_run_cheapest_first_and_checked():
    assert parse_modes("interactive,decisions") == ("decisions", "interactive")
    with pytest.raises(ConfigError):
        parse_modes("solo,episodes")
    with pytest.raises(ConfigError):
        parse_configs(" , ")


def _bench_args(out: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="fama")
    bench.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(
        [
            "bench",
            "--domain",
            "mock",
            "--configs",
            "react,irma,fama:dce+mem",
            "--modes",
            "decisions,solo",
            "--task-ids",
            TASKS,
            "--max-steps",
            "8",
            "--out",
            str(out),
            *extra,
        ]
    )


def test_bench_end_to_end_on_the_scripted_lm(tmp_path, capsys):
    out = tmp_path / "bench"
    lm, engine = scripted_lm(SCRIPT)
    assert bench.bench_command(_bench_args(out), lm=lm) == 0
    printed = capsys.readouterr().out
    assert "irma[react]" in printed and f"report: {out / 'report' / 'report.md'}" in printed

    episodes = read_jsonl(out / "episodes.jsonl")
    configs = ["react", "irma[react]", "fama[react:dce+mem]"]
    assert sorted({r["config"] for r in episodes}) == sorted(configs)
    for config in configs:  # every configuration on the same tasks, trials and seeds
        mine = sorted((r["task_id"], r["trial"], r["seed"]) for r in episodes if r["config"] == config)
        assert mine == sorted((t, 0, episodes[0]["seed"]) for t in TASKS.split(","))
    rewards = {(r["config"], r["task_id"]): r["reward"] for r in episodes}
    assert all(rewards[(c, "create_task_1")] == 1.0 and rewards[(c, "update_task_1")] == 0.0 for c in configs)
    assert {r["config"] for r in episodes if r["totals"]["specialists"]} == {
        "irma[react]",
        "fama[react:dce+mem]",
    }

    decisions = read_jsonl(out / "decisions.jsonl")
    assert sorted((r["config"], r["point_id"]) for r in decisions) == sorted(
        (c, f"mock/{t}/0") for c in configs for t in TASKS.split(",")
    )

    manifest = json.loads((out / "bench.json").read_text())
    assert manifest["model"] == "scripted/test" and manifest["temperature"] is None
    assert manifest["base_map"] == {"react": None, "irma[react]": "react", "fama[react:dce+mem]": "react"}
    summary = json.loads((out / "report" / "summary.json").read_text())
    deltas = {r["config"]: r["delta_pass1"] for r in summary["episodes"]}
    assert deltas["react"] is None
    assert deltas["irma[react]"]["estimate"] == deltas["fama[react:dce+mem]"]["estimate"] == 0.0
    assert {r["config"]: r["paired_points"] for r in summary["decisions"]}["irma[react]"] == 2
    report = (out / "report" / "report.md").read_text()
    assert "model: `scripted/test`" in report and "`create_task_1`, `update_task_1`" in report

    # Rerun: everything is already there, so no LM call and no new record.
    calls = len(engine.calls)
    assert bench.bench_command(_bench_args(out), lm=lm) == 0
    assert len(engine.calls) == calls
    assert len(read_jsonl(out / "episodes.jsonl")) == len(episodes)
    assert len(read_jsonl(out / "decisions.jsonl")) == len(decisions)

    # Other settings into the same directory would mix records: refused.
    with pytest.raises(ConfigError, match="seed"):
        bench.bench_command(_bench_args(out, "--seed", "7"), lm=lm)
    assert manifest["prompt_layout"] == "shared-prefix"
    assert {r["prompt_layout"] for r in decisions} == {"shared-prefix"}
    with prompt_layout("per-signature"), pytest.raises(ConfigError, match="prompt_layout"):
        bench.bench_command(_bench_args(out), lm=lm)


def test_trials_at_temperature_zero_warn(tmp_path, capsys):
    lm, _ = scripted_lm(SCRIPT)
    plan = BenchPlan(
        domain="mock",
        configs=parse_configs("react"),
        modes=("solo",),
        task_ids=["create_task_1"],
        trials=2,
        max_steps=4,
    )
    run_bench(plan, tmp_path / "b", lm.copy(temperature=0.0), progress=False)
    assert "repeats the same answer every trial" in " ".join(capsys.readouterr().err.split())


def test_sampled_trials_use_one_rollout_id_per_trial_seed(tmp_path, monkeypatch):
    used: list[tuple[int, object]] = []
    original = TrialRollouts.lm_for

    def spy(self, lm, seed):
        copy = original(self, lm, seed)
        used.append((seed, copy.kwargs.get("rollout_id")))
        return copy

    monkeypatch.setattr(TrialRollouts, "lm_for", spy)
    lm, engine = scripted_lm(SCRIPT)
    plan = BenchPlan(
        domain="mock",
        configs=parse_configs("react"),
        modes=("solo",),
        task_ids=["create_task_1"],
        trials=2,
        seed=40,
        max_steps=4,
    )
    result = run_bench(plan, tmp_path / "b", lm.copy(temperature=0.7), progress=False)
    assert result.manifest["seeds"] == [40, 41]
    # each decision ran on its episode's rollout: the task and the trial seed
    assert sorted(set(used)) == sorted((rollout_id(s, "create_task_1"),) * 2 for s in (40, 41))
    assert len(used) == len(engine.of("agent")) == 4
    episodes = read_jsonl(tmp_path / "b" / "episodes.jsonl")
    assert sorted((r["trial"], r["seed"]) for r in episodes) == [(0, 40), (1, 41)]


def test_sampled_decision_trials_use_one_rollout_id_per_trial_seed(tmp_path, monkeypatch):
    used: list[int] = []
    original = TrialRollouts.lm_for

    def spy(self, lm, seed):
        used.append(seed)
        return original(self, lm, seed)

    monkeypatch.setattr(TrialRollouts, "lm_for", spy)
    lm, _engine = scripted_lm(SCRIPT)
    plan = BenchPlan(
        domain="mock",
        configs=parse_configs("react,irma"),
        modes=("decisions",),
        task_ids=["create_task_1"],
        trials=2,
        seed=40,
    )
    result = run_bench(plan, tmp_path / "b", lm.copy(temperature=0.7), progress=False)
    records = read_jsonl(tmp_path / "b" / "decisions.jsonl")
    assert sorted((r["config"], r["trial"], r["seed"]) for r in records) == [
        ("irma[react]", 0, 40),
        ("irma[react]", 1, 41),
        ("react", 0, 40),
        ("react", 1, 41),
    ]
    assert sorted(set(used)) == [40, 41]
    summary = json.loads((result.report.parent / "summary.json").read_text())
    row = {r["config"]: r for r in summary["decisions"]}["irma[react]"]
    assert row["points"] == 1 and row["answers"] == 2 and row["delta_exact"]["n"] == 1
    assert "trials per point 2; seeds `40`, `41`" in result.report.read_text()


def test_reference_agent_is_skipped_for_decisions_and_needs_its_model(tmp_path):
    lm, _ = scripted_lm(SCRIPT)
    plan = BenchPlan(
        domain="mock",
        configs=parse_configs("react,tau2-llm-agent"),
        modes=("decisions",),
        task_ids=["create_task_1"],
    )
    with pytest.raises(ConfigError, match="tau2-llm-agent"):
        run_bench(plan, tmp_path / "a", lm, progress=False)
    result = run_bench(plan, tmp_path / "b", lm, tau2_agent_llm=("openai/unused", {}), progress=False)
    assert [line.split(":")[0] for line in result.skipped] == ["tau2-llm-agent"]
    assert {r["config"] for r in read_jsonl(tmp_path / "b" / "decisions.jsonl")} == {"react"}


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (BenchPlan(domain="airline", configs=parse_configs("react"), modes=("solo",)), "no solo mode"),
        (BenchPlan(domain="mock", configs=parse_configs("react,react"), modes=("decisions",)), "named twice"),
        (
            BenchPlan(domain="mock", configs=parse_configs("react"), modes=("interactive",), user="tau2"),
            "tau2 user",
        ),
    ],
)
def test_bad_plans_are_refused_before_running(tmp_path, plan, message):
    lm, engine = scripted_lm(SCRIPT)
    with pytest.raises(ConfigError, match=message):
        run_bench(plan, tmp_path / "x", lm, progress=False)
    assert not engine.calls


def test_interrupted_bench_resumes_keeping_every_finished_episode_once(tmp_path):
    script = Path(__file__).with_name("bench_script.py")
    out = tmp_path / "bench"
    episodes_file = out / "episodes.jsonl"
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    # Slow LM calls: the bench is still running when its first episode is written.
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out), "0.3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 240  # generous: the import alone is slow on a loaded 2-core machine
        while not (episodes_file.exists() and read_jsonl(episodes_file)):
            assert proc.poll() is None, proc.stdout.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no episode was written within 240 s"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    before = read_jsonl(episodes_file)
    assert 1 <= len(before) < 6, "the kill came after the bench finished: nothing to resume"
    assert not (out / "report").exists()

    finished = subprocess.run(
        [sys.executable, str(script), str(out), "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )  # generous on a loaded machine
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]

    after = read_jsonl(episodes_file)
    keys = [episode_key(r) for r in after]
    assert len(keys) == len(set(keys)) == 6  # 2 configs × 3 tasks, each exactly once
    assert after[: len(before)] == before  # what finished before the kill is kept as it was
    assert (out / "report" / "report.md").exists()


def test_interactive_mode_runs_with_the_chosen_user(tmp_path):
    reply = action_reply(kind="message", message="Your task 'Important Meeting' is created.")
    lm, _ = scripted_lm({**SCRIPT, "agent": [CREATE, reply] * 10})
    plan = BenchPlan(
        domain="mock",
        configs=parse_configs("react,fama:dce+mem"),
        modes=("interactive",),
        task_ids=["create_task_1"],
        user="scripted",
        max_steps=10,
    )
    result = run_bench(plan, tmp_path / "b", lm, progress=False)
    episodes = read_jsonl(tmp_path / "b" / "episodes.jsonl")
    assert [(r["config"], r["solo"], r["user"], r["reward"]) for r in episodes] == [
        ("react", False, "scripted", 1.0),
        ("fama[react:dce+mem]", False, "scripted", 1.0),
    ]
    assert result.manifest["user"] == "scripted"
    assert "## Episodes — mock base interactive/scripted" in result.report.read_text()


def test_directories_from_before_the_layout_was_recorded_resume_only_per_signature(tmp_path):
    from fama_dspy.bench.manifest import bench_manifest
    from fama_dspy.report.manifest import MANIFEST_FILE

    plan = BenchPlan(domain="mock", configs=parse_configs("react"), modes=("solo",))
    old = bench_manifest(plan, tmp_path, "scripted/test", None, [1], [], None)
    del old["prompt_layout"]
    (tmp_path / MANIFEST_FILE).write_text(json.dumps(old))
    with pytest.raises(ConfigError, match="prompt_layout = 'per-signature', not 'shared-prefix'"):
        bench_manifest(plan, tmp_path, "scripted/test", None, [1], [], None)
    with prompt_layout("per-signature"):
        assert (
            bench_manifest(plan, tmp_path, "scripted/test", None, [1], [], None)["prompt_layout"]
            == "per-signature"
        )


def test_a_profile_whose_reruns_flipped_nothing_warns_when_used(tmp_path):
    from fama_dspy.analysis.profile import FailureProfile

    note = "no re-run flipped a point (8 re-runs): every specialist tried on a category is lowered alike"
    path = tmp_path / "p.json"
    FailureProfile(model="qwen2.5-coder-1.5b", domain="mock", recommended=["mem"], notes=[note]).save(path)
    with pytest.warns(UserWarning, match=r"p\.json: no re-run flipped a point \(8 re-runs\)"):
        choice = resolve_agent(parse_config_spec(f"fama-profile:{path}").agent_spec(), "local", domain="mock")
    assert choice.name == "fama[react:mem]"
    FailureProfile(
        model="qwen2.5-coder-1.5b", domain="mock", recommended=["mem"], notes=["flips: mem 2"]
    ).save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolve_agent(parse_config_spec(f"fama-profile:{path}").agent_spec(), "local", domain="mock")


def test_the_task_count_says_when_a_default_count_leaves_tasks_out():
    from fama_dspy.benchmarks import get_benchmark

    total = len(get_benchmark("tau2").task_ids("mock", "base"))
    plan = BenchPlan(domain="mock", split="base", configs=parse_configs("react"), num_tasks=3)
    assert bench.task_count_line(plan) == (
        f"tasks: 3 of the {total} mock base tasks (--num-tasks 3; --num-tasks {total} runs them all)"
    )
    ids = get_benchmark("tau2").task_ids("mock", "base")[:4]
    chosen = BenchPlan(domain="mock", split="base", configs=parse_configs("react"), task_ids=ids, num_tasks=3)
    assert bench.task_count_line(chosen) == f"tasks: 4 of the {total} mock base tasks"  # ids win over a count


def test_a_profile_or_program_from_another_domain_is_labelled_a_transfer():
    import warnings as w

    profile = "data/profiles/qwen2.5-coder-1.5b__airline__decision-rules.json"
    program = "data/compiled/qwen2.5-coder-1.5b__react__airline__demos.json"
    with w.catch_warnings():
        w.simplefilter("ignore")  # the profile's own warning about another domain
        here = resolve_agent(
            parse_config_spec(f"fama-profile:{profile}").agent_spec(), "local", domain="airline"
        )
        there = resolve_agent(
            parse_config_spec(f"fama-profile:{profile}").agent_spec(), "local", domain="telehealth"
        )
        compiled = resolve_agent(
            parse_config_spec(f"fama-compiled:{program}").agent_spec(), "local", domain="multi-step"
        )
    assert here.description.endswith("learned on airline train)") and "transfer" not in here.description
    assert there.description.endswith("transfer: learned on airline train)")
    assert compiled.description.endswith("(transfer: learned on airline train)")

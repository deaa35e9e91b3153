"""`fama run`: one configuration on decision points, with sampled trials, on the scripted LM."""

from __future__ import annotations

import argparse

from scripted_lm import action_reply, scripted_lm

from fama_dspy.commands import run
from fama_dspy.results.records import read_jsonl

CREATE = action_reply(
    kind="tool_call", tool_name="create_task", arguments={"user_id": "user_1", "title": "Important Meeting"}
)


def _args(out, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    run.add_parser(parser.add_subparsers())
    return parser.parse_args(
        [
            "run",
            "--mode",
            "decisions",
            "--domain",
            "mock",
            "--task-ids",
            "create_task_1",
            "--agent",
            "react",
            "--out",
            str(out),
            "--concurrency",
            "1",
            *extra,
        ]
    )


def test_decision_trials_are_sampled_per_seed_and_resumed(tmp_path, monkeypatch):
    lm, engine = scripted_lm({"agent": [CREATE] * 10})
    made = []

    def fake_make_lm(args):
        made.append(args.temperature)
        return lm.copy(temperature=args.temperature)

    monkeypatch.setattr(run, "make_lm_from_args", fake_make_lm)
    out = tmp_path / "r"
    assert run.run_command(_args(out, "--trials", "2", "--seed", "5", "--temperature", "0.7")) == 0
    records = read_jsonl(out / "decisions.jsonl")
    assert sorted((r["trial"], r["seed"], r["exact_ok"]) for r in records) == [(0, 5, True), (1, 6, True)]
    # Each trial had its own rollout: two calls reached the engine, not one call and a cache hit.
    assert len(engine.of("agent")) == 2
    assert run.run_command(_args(out, "--trials", "2", "--seed", "5", "--temperature", "0.7")) == 0
    assert len(engine.of("agent")) == 2 and len(read_jsonl(out / "decisions.jsonl")) == 2
    assert made == [0.7, 0.7]


def test_decision_trials_at_temperature_zero_warn_and_carry_no_seed(tmp_path, monkeypatch, capsys):
    lm, _ = scripted_lm({"agent": [CREATE] * 10})
    monkeypatch.setattr(run, "make_lm_from_args", lambda args: lm)
    out = tmp_path / "r"
    assert run.run_command(_args(out, "--trials", "2")) == 0
    assert "the same answer every trial" in capsys.readouterr().out
    assert sorted((r["trial"], r["seed"]) for r in read_jsonl(out / "decisions.jsonl")) == [
        (0, None),
        (1, None),
    ]


def test_answers_from_dspys_cache_are_marked(tmp_path, monkeypatch):
    import uuid

    scripted, engine = scripted_lm({"agent": [CREATE] * 10})
    # DSPy's response cache on, with a rollout no other test shares: the second run's call is a hit.
    lm = scripted.copy(cache=True, temperature=0.5, rollout_id=uuid.uuid4().int % 10**9)
    monkeypatch.setattr(run, "make_lm_from_args", lambda args: lm)
    assert run.run_command(_args(tmp_path / "a")) == 0
    assert run.run_command(_args(tmp_path / "b")) == 0  # same prompt, new directory: a DSPy cache hit
    assert len(engine.of("agent")) == 1
    (first,) = read_jsonl(tmp_path / "a" / "decisions.jsonl")
    (again,) = read_jsonl(tmp_path / "b" / "decisions.jsonl")
    assert (first["lm_calls"], first["cache_hits"]) == (1, 0)
    assert (again["lm_calls"], again["cache_hits"]) == (1, 1) and again["usage"]["prompt_tokens"] == 0


def _episode_args(out, *options: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    run.add_parser(parser.add_subparsers())
    return parser.parse_args(["run", "--mode", "episodes", "--out", str(out), "--concurrency", "1", *options])


def test_gold_agent_replays_tau2_tasks_without_a_model(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "make_lm_from_args", lambda args: None)
    out = tmp_path / "gold"
    args = _episode_args(
        out, "--domain", "mock", "--solo", "--task-ids", "create_task_1,update_task_1", "--agent", "gold"
    )
    assert run.run_command(args) == 0
    records = read_jsonl(out / "episodes.jsonl")
    assert [(r["config"], r["reward"]) for r in records] == [("gold", 1.0), ("gold", 1.0)]


def test_gold_agent_is_refused_at_decision_level(tmp_path, monkeypatch):
    import pytest

    from fama_dspy.errors import ConfigError

    monkeypatch.setattr(run, "make_lm_from_args", lambda args: None)
    with pytest.raises(ConfigError, match="needs episodes"):
        run.run_command(_args(tmp_path / "g", "--agent", "gold"))


def test_sampled_episode_trials_draw_new_answers_instead_of_replaying_trial_0(tmp_path, monkeypatch):
    import uuid

    import dspy
    from scripted_lm import ScriptedEngine

    done = action_reply(kind="tool_call", tool_name="done", arguments={})
    engine = ScriptedEngine({"agent": [CREATE, done] * 10})
    # the response cache on, under a model name no other test uses
    lm = dspy.LM(f"scripted/{uuid.uuid4().hex}", engine=engine, cache=True, temperature=0.7, num_retries=0)
    monkeypatch.setattr(run, "make_lm_from_args", lambda args: lm)
    args = _episode_args(
        tmp_path / "e", "--domain", "mock", "--solo", "--task-ids", "create_task_1", "--agent", "react",
        "--trials", "2", "--temperature", "0.7",
    )  # fmt: skip
    assert run.run_command(args) == 0
    assert len(read_jsonl(tmp_path / "e" / "episodes.jsonl")) == 2
    assert len(engine.of("agent")) == 4  # two calls per trial; trial 1 is not a cache replay of trial 0

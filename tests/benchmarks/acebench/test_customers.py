"""The multi-turn user side: our simulated customer on ACEBench's opening and ending rules."""

from __future__ import annotations

import json

import pytest
from fama_dspy.signatures.action import AgentAction
from scripted_lm import scripted_lm

from benchmarks.acebench.helpers import ScriptAgent
from fama_dspy.benchmarks import EpisodeRequest, get_benchmark
from fama_dspy.benchmarks.acebench.data import find_task
from fama_dspy.benchmarks.acebench.gold import gold_plan

pytestmark = pytest.mark.usefixtures("acebench_root")
TASK = "agent_multi_turn_3"  # Grace sends Frank a message; Wi-Fi on, logged in


def _user(message: str, status: str = "continue") -> str:
    return json.dumps({"message": message, "status": status})


def _run(tmp_path, builder, user_answers):
    user_lm, engine = scripted_lm({"unknown": user_answers})
    (record,) = get_benchmark("acebench").run_episodes(
        EpisodeRequest(
            domain="multi-turn",
            task_ids=[TASK],
            config_name="scripted",
            user="fama",
            user_lm=user_lm,
            out=tmp_path,
            progress=False,
            extra={"agent_builder": builder},
        )
    )
    return record, engine


def test_the_simulated_user_opens_after_the_greeting_and_the_agent_ends(tmp_path):
    record, engine = _run(
        tmp_path, lambda task: ScriptAgent(gold_plan(task)), [_user("Hi, please text Frank for me.")]
    )
    assert record["reward"] == 1.0 and record["termination"] == "user_stop" and record["user"] == "fama"
    (opening,) = engine.calls  # "finish conversation" from the agent ends it without asking the user
    assert "Is there anything you need help with today?" in opening.prompt
    assert "My name is Grace" in opening.prompt  # the instruction in the user's first person
    assert record["messages"][0] == {
        **record["messages"][0],
        "role": "user",
        "content": "Hi, please text Frank for me.",
    }
    assert record["user_stats"] == {"turns": 1} and record["user_in_role"] is True
    assert record["messages"][-1] == {**record["messages"][-1], "role": "user", "content": ""}


def test_the_user_ends_by_saying_finish_conversation(tmp_path):
    ask = AgentAction(kind="message", message="Which message should I send?")
    record, engine = _run(
        tmp_path,
        lambda task: ScriptAgent([ask, *gold_plan(find_task("multi-turn", TASK))]),
        [_user("Hello."), _user("Thanks, finish conversation")],
    )
    assert record["termination"] == "user_stop" and len(engine.calls) == 2
    assert record["reward"] == 0.0  # the user left before the agent sent anything


def test_acebenchs_own_user_prompt_on_the_user_lm(tmp_path):
    user_lm, engine = scripted_lm(
        {"unknown": ["I want to send a message to Frank.", "Yes. finish conversation"]}
    )
    ask = AgentAction(kind="message", message="agent: What should it say?")
    (record,) = get_benchmark("acebench").run_episodes(
        EpisodeRequest(
            domain="multi-turn",
            task_ids=[TASK],
            config_name="scripted",
            user="acebench",
            user_lm=user_lm,
            out=tmp_path,
            progress=False,
            extra={"agent_builder": lambda task: ScriptAgent([ask])},
        )
    )
    assert record["user"] == "acebench" and record["termination"] == "user_stop"
    first, second = engine.calls
    assert first.system.startswith("You are a user interacting with an agent.")
    assert "Instruction: Your name is Grace." in first.system  # ACEBench's own wording, second person
    assert [m["content"] for m in first.messages] == ["Is there anything you need help with today?"]
    assert [(m["role"], m["content"]) for m in second.messages[1:]] == [
        ("assistant", "I want to send a message to Frank."),
        ("user", " What should it say?"),  # ACEBench drops the "agent:" prefix only
    ]


def test_acebenchs_user_samples_each_trial_anew_and_replays_only_its_own_trial():
    import uuid

    import dspy
    from scripted_lm import ScriptedEngine

    from fama_dspy.benchmarks.acebench.customers import AceBenchUser
    from fama_dspy.episodes.seeding import trial_lm

    engine = ScriptedEngine({"unknown": ["I want to send a message."] * 3})
    # a fresh model name: the response cache holds nothing for it yet
    lm = dspy.LM(f"scripted/{uuid.uuid4().hex}", engine=engine, cache=True, temperature=0.7, num_retries=0)
    for seed in (0, 1, 0):
        AceBenchUser("You are a user.", lm=trial_lm(lm, seed)).opening()
    assert len(engine.calls) == 2  # trial 1 is a new sample; trial 0 asked again comes from the cache

"""Gold replay through the benchmark interface scores 1.0 on every telehealth and telecom task."""

from __future__ import annotations

import pytest
from scripted_lm import json_reply

from fama_dspy.benchmarks import EpisodeRequest, get_benchmark
from fama_dspy.benchmarks.tau_trait.customers import CLOSING, TRAIT_NOTE
from fama_dspy.benchmarks.tau_trait.data import load_domain
from fama_dspy.benchmarks.tau_trait.gold import gold_plan


def gold_request(domain: str, out, **fields) -> EpisodeRequest:
    fields = {"user": "scripted", "max_steps": 100, **fields}
    return EpisodeRequest(domain=domain, out=out, progress=False, extra={"agent": "gold"}, **fields)


@pytest.mark.parametrize("domain, tasks", [("telehealth", 22), ("telecom", 27)])
def test_gold_replay_scores_one_on_every_task(domain, tasks, tmp_path):
    records = get_benchmark("tau-trait").run_episodes(gold_request(domain, tmp_path))  # base: every file
    assert len(records) == tasks
    failures = [
        (r["task_id"], r["reward"], r["termination"], r["reward_details"])
        for r in records
        if r["reward"] != 1.0
    ]
    assert not failures
    for r in records:
        assert r["config"] == "gold" and r["agent"] == "gold" and r["benchmark"] == "tau-trait"
        assert r["success"] and r["error"] is None and r["user_in_role"]
        assert r["reward_details"]["note"] == TRAIT_NOTE and r["reward_details"]["evaluated"]
        assert not any(d["fallback"] or d["invalid_actions"] for d in r["decisions"])
        assert not r["gold_actions"]["missed"]


def test_the_gold_plan_ends_with_the_outputs_or_the_terminate_tool():
    telehealth, telecom = load_domain("telehealth"), load_domain("telecom")
    transfer = gold_plan(telehealth.task("test-2"), telehealth)
    assert transfer[-1].tool_name == "transfer_to_human_support" and transfer[-2].kind == "tool_call"
    summary = gold_plan(telecom.task("test-5"), telecom)
    assert summary[-1].kind == "message" and "TICKET002" in summary[-1].message
    # The retired tool of telecom's dev-3 is not in the plan.
    assert "manage_devices" not in [a.tool_name for a in gold_plan(telecom.task("dev-3"), telecom)]


def test_gold_with_our_simulated_customer(scripted, tmp_path):
    """The ``fama`` user: its fixed opening, then one model turn that ends the chat."""
    engine = scripted({"unknown": [json_reply(message="Great, thanks!", status="done")]})
    [record] = get_benchmark("tau-trait").run_episodes(
        gold_request("telehealth", tmp_path, user="fama", task_ids=["train-0"])
    )
    assert record["reward"] == 1.0 and record["termination"] == "user_stop" and record["user"] == "fama"
    messages = record["messages"]
    assert messages[0] == {
        **messages[0],
        "role": "user",
        "content": "I am David Martinez, email david.martinez@email.com.",
    }
    assert messages[-1]["content"] == "Great, thanks!" != CLOSING
    assert len(engine.calls) == 1 and "I want to cancel appointment APPT005" in engine.calls[0].prompt
    assert record["user_stats"]["turns"] == 2 and record["totals"]["user_prompt_tokens"] > 0


def test_the_default_step_limit_is_tau_traits_own(tmp_path):
    """τ-trait's agents stop after 30 actions, each answered: 60 of our steps, enough for the
    longest gold (telehealth test-10, 30 actions), which a 30-step limit cut at its 15th action."""
    benchmark = get_benchmark("tau-trait")
    assert benchmark.default_max_steps == 60
    request = EpisodeRequest(
        domain="telehealth",
        out=tmp_path,
        progress=False,
        user="scripted",
        task_ids=["test-10"],
        extra={"agent": "gold"},
    )
    [record] = benchmark.run_episodes(request)
    assert record["max_steps"] == 60 and record["reward"] == 1.0
